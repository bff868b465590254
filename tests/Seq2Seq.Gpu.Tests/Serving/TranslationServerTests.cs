using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Seq2Seq.Cli.Serving;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Inference.Serving;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>The HTTP server in-process on a loopback port: results, batching, limits and bad input, shutdown.</summary>
public sealed class TranslationServerTests
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);

    private static readonly ServerOptions Small = new() { Port = 0, MaxBodyBytes = 200, MaxSentences = 3, MaxSentenceLength = 10 };

    [Test]
    public async Task Thirty_two_concurrent_clients_get_what_sequential_translator_calls_give_in_full_batches()
    {
        var sentences = ServingModel.Sentences(64, 31);
        var requests = sentences.Chunk(2).ToList();
        using var translator = ServingModel.Model.CreateTranslator();
        var expected = requests.Select(r => translator.Translate(r)).ToList();

        // 64 sentences, batches of 16, full-or-delay with a delay that never expires: a batch is decoded only when full, so exactly 4 form.
        var batches = new BatchLog();
        await using var server = await TranslationServer.StartAsync(
            ServingModel.Model, new() { MaxBatch = 16, MaxDelay = Forever, Dispatch = BatchDispatch.FullOrDelay, OnBatch = batches.Record }, new() { Port = 0 });
        using var client = new ServerClient(server.Address);
        var got = await Task.WhenAll(requests.Select(r => Task.Run(() => client.TranslateAsync(r))));
        await batches.After(4); // the metrics are recorded after the batch's callers are answered

        for (int i = 0; i < requests.Count; i++)
        {
            Assert.That(got[i], Is.EqualTo(expected[i]), $"client {i}");
        }

        string metrics = await client.GetAsync("/metrics");
        Assert.That(Metric(metrics, "seq2seq_batch_size_count"), Is.EqualTo(4));
        Assert.That(Metric(metrics, "seq2seq_batch_size_sum") / Metric(metrics, "seq2seq_batch_size_count"), Is.EqualTo(16), "mean batch size");
        Assert.That(Metric(metrics, "seq2seq_sentences_total"), Is.EqualTo(64));
        Assert.That(Metric(metrics, "seq2seq_http_requests_total{path=\"/translate\",code=\"200\"}"), Is.EqualTo(32));
        Assert.That(Metric(metrics, "seq2seq_queue_seconds_count"), Is.EqualTo(64));
        Assert.That(Metric(metrics, "seq2seq_decode_seconds_count"), Is.EqualTo(4));
    }

    [Test]
    public async Task Beam_requests_return_the_n_best_with_scores_as_the_translator_ranks_them()
    {
        var sentences = ServingModel.Sentences(3, 41);
        using var translator = ServingModel.Model.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 2 });
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero }, new() { Port = 0 });
        using var client = new ServerClient(server.Address);

        var (status, body) = await client.PostAsync(JsonSerializer.Serialize(new { text = sentences, beam = 3, nbest = 2 }));

        Assert.That(status, Is.EqualTo(200), body.ToString());
        var translations = body.GetProperty("translations").EnumerateArray().ToList();
        Assert.That(translations, Has.Count.EqualTo(3));
        for (int i = 0; i < sentences.Count; i++)
        {
            var expected = translator.TranslateNBest(sentences[i], 2);
            var nbest = translations[i].GetProperty("nbest").EnumerateArray().ToList();
            Assert.That(nbest.Select(h => h.GetProperty("text").GetString()), Is.EqualTo(expected.Select(h => ServingModel.Model.Text.DecodeTarget(h.Tokens))));
            Assert.That(nbest.Select(h => h.GetProperty("score").GetDouble()), Is.EqualTo(expected.Select(h => h.Score)).Within(1e-4));
            Assert.That(translations[i].GetProperty("text").GetString(), Is.EqualTo(nbest[0].GetProperty("text").GetString()));
            Assert.That(translations[i].GetProperty("log_probability").GetDouble(), Is.EqualTo(expected[0].LogProbability).Within(1e-4));
        }
    }

    [TestCase("{\"text\": [\"ab\", \"cd\", \"ef\", \"ab\"]}", 413, "max_sentences", "4 sentences")]
    [TestCase("{\"text\": [\"abcdefabcde\"]}", 413, "max_sentence_length", "text[0] has 11 characters")]
    [TestCase("{\"text\": [\"ab\"], \"beam\": 9}", 400, "max_beam", "between 1 and 8")]
    [TestCase("{\"text\": [\"ab\"", 400, null, "malformed JSON")]
    [TestCase("[\"ab\"]", 400, null, "must be a JSON object, not a list")]
    [TestCase("{\"text\": \"ab\"}", 400, null, "'text' must be a list of strings, not a string")]
    [TestCase("{\"text\": []}", 400, null, "empty list")]
    [TestCase("{\"text\": [\"ab\", 3]}", 400, null, "text[1] must be a string, not the number 3")]
    [TestCase("{\"text\": [\"ab\"], \"beam\": \"2\"}", 400, null, "'beam' must be a whole number, not a string")]
    [TestCase("{\"text\": [\"ab\"], \"beam\": 1.5}", 400, null, "'beam' must be a whole number")]
    [TestCase("{\"text\": [\"ab\"], \"nbest\": 2}", 400, null, "'nbest' must be between 1 and the beam width 1")]
    [TestCase("{\"txt\": [\"ab\"]}", 400, null, "unknown field 'txt'")]
    [TestCase("{\"text\": [\"ab\"], \"text\": [\"cd\"]}", 400, null, "'text' appears twice")]
    [TestCase("{}", 400, null, "'text' is missing")]
    [TestCase("", 400, null, "body is empty")]
    public async Task Limits_and_malformed_requests_get_the_documented_error(string json, int status, string? limit, string message)
    {
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero, MaxBeamWidth = 8 }, Small);
        using var client = new ServerClient(server.Address);

        var (got, body) = await client.PostAsync(json);

        Assert.That(got, Is.EqualTo(status), body.ToString());
        Assert.That(body.GetProperty("error").GetString(), Does.Contain(message));
        Assert.That(body.TryGetProperty("limit", out var named) ? named.GetString() : null, Is.EqualTo(limit));
        Assert.That(await client.TranslateAsync(["abc"]), Has.Count.EqualTo(1), "the server goes on serving");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_body_over_the_byte_limit_gets_413_whether_or_not_its_length_is_announced(bool chunked)
    {
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero }, Small);
        using var client = new ServerClient(server.Address);
        var body = Encoding.UTF8.GetBytes($"{{\"text\": [\"{new string('a', 300)}\"]}}");

        var (status, error) = await client.PostAsync(body, chunked);

        Assert.That(status, Is.EqualTo(413));
        Assert.That(error.GetProperty("limit").GetString(), Is.EqualTo("max_body_bytes"));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("the limit is 200"));
    }

    [Test]
    public async Task A_body_not_declared_json_gets_415_in_json()
    {
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero }, Small);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var content = new StringContent("{\"text\": [\"ab\"]}", Encoding.UTF8, "text/plain");

        using var response = await http.PostAsync(new Uri("/translate", UriKind.Relative), content);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.That((int)response.StatusCode, Is.EqualTo(415));
        Assert.That(body.RootElement.GetProperty("error").GetString(), Does.Contain("Content-Type: application/json").And.Contain("text/plain"));
    }

    [Test]
    public async Task Invalid_utf8_gets_400_naming_the_byte()
    {
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero }, Small);
        using var client = new ServerClient(server.Address);
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"text\": [\"a"), 0xFF, .. Encoding.UTF8.GetBytes("\"]}")];

        var (status, error) = await client.PostAsync(body);

        Assert.That(status, Is.EqualTo(400));
        Assert.That(error.GetProperty("error").GetString(), Is.EqualTo("the request body is not valid UTF-8 (byte 12)"));
    }

    [Test]
    public async Task Stopping_answers_every_accepted_request()
    {
        var sentences = ServingModel.Sentences(12, 51);
        using var translator = ServingModel.Model.CreateTranslator();
        var allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serviceOptions = new TranslationServiceOptions { MaxDelay = Forever, Dispatch = BatchDispatch.FullOrDelay, OnEnqueued = n => { if (n == sentences.Count) allQueued.TrySetResult(); } };
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, serviceOptions, new() { Port = 0 });
        using var client = new ServerClient(server.Address);

        // Nothing is decoded before the stop: under full-or-delay the batch (64) never fills and the delay never expires.
        var calls = sentences.Select(s => Task.Run(() => client.TranslateAsync([s]))).ToList();
        await allQueued.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await server.StopAsync();

        var got = await Task.WhenAll(calls);
        Assert.That(got.Select(g => g.Single()), Is.EqualTo(translator.Translate(sentences)));
    }

    [Test]
    public async Task A_client_that_disconnects_has_its_queued_sentences_dropped_and_others_are_served()
    {
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new BatchLog();
        var serviceOptions = new TranslationServiceOptions
        {
            // Full-or-delay, batches of 2 and a delay that never expires: the lone sentence is held until its client goes.
            MaxBatch = 2,
            MaxDelay = Forever,
            Dispatch = BatchDispatch.FullOrDelay,
            OnEnqueued = _ => queued.TrySetResult(),
            OnCancelled = n => cancelled.TrySetResult(n),
            OnBatch = batches.Record,
        };
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, serviceOptions, new() { Port = 0 });

        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(server.Address.Host, server.Address.Port);
            byte[] body = Encoding.UTF8.GetBytes("{\"text\": [\"abc\"]}");
            byte[] head = Encoding.ASCII.GetBytes($"POST /translate HTTP/1.1\r\nHost: {server.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
            await socket.GetStream().WriteAsync(head.Concat(body).ToArray());
            await queued.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.That(server.Service.QueuedSentences, Is.EqualTo(1));
            socket.Client.LingerState = new LingerOption(true, 0); // close with a reset: the client is gone, not just done sending
        }

        Assert.That(await cancelled.Task.WaitAsync(TimeSpan.FromMinutes(1)), Is.EqualTo(1), "the disconnect cancelled the request's one sentence");
        Assert.That(server.Service.QueuedSentences, Is.Zero);

        using var client = new ServerClient(server.Address);
        var sentences = ServingModel.Sentences(2, 71);
        using var translator = ServingModel.Model.CreateTranslator();
        Assert.That(await client.TranslateAsync(sentences), Is.EqualTo(translator.Translate(sentences)), "the server goes on serving");
        Assert.That(await batches.After(1), Is.EqualTo(new[] { 2 }), "the dropped sentence never reached a batch: the next two filled one");
        string metrics = await client.GetAsync("/metrics");
        Assert.That(Metric(metrics, "seq2seq_cancelled_sentences_total"), Is.EqualTo(1));
        Assert.That(Metric(metrics, "seq2seq_batch_size_count"), Is.EqualTo(1));
        Assert.That(Metric(metrics, "seq2seq_sentences_total"), Is.EqualTo(2));
        Assert.That(Metric(metrics, "seq2seq_queued_sentences"), Is.Zero);
    }

    [Test]
    public async Task Health_metrics_and_the_openapi_description_are_served()
    {
        await using var server = await TranslationServer.StartAsync(ServingModel.Model, new() { MaxBatch = 8 }, new() { Port = 0 });
        using var client = new ServerClient(server.Address);

        using var health = JsonDocument.Parse(await client.GetAsync("/health"));
        string metrics = await client.GetAsync("/metrics");
        using var openApi = JsonDocument.Parse(await client.GetAsync("/openapi/v1.json"));

        Assert.That(server.Address.Host, Is.EqualTo("127.0.0.1"), "loopback by default");
        Assert.That(health.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(health.RootElement.GetProperty("max_batch").GetInt32(), Is.EqualTo(8));
        Assert.That(health.RootElement.GetProperty("dispatch").GetString(), Is.EqualTo("adaptive"));
        Assert.That(health.RootElement.GetProperty("precision").GetString(), Is.EqualTo("fp32"));
        Assert.That(health.RootElement.GetProperty("device").GetString(), Does.Contain("CPU").IgnoreCase);
        Assert.That(metrics, Does.Contain("# TYPE seq2seq_batch_size histogram").And.Contain("seq2seq_batch_size_bucket{le=\"+Inf\"} 0"));
        var paths = openApi.RootElement.GetProperty("paths");
        Assert.That(paths.EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "/translate", "/health", "/metrics" }));
        Assert.That(paths.GetProperty("/translate").GetProperty("post").GetProperty("responses").EnumerateObject().Select(r => r.Name), Is.SupersetOf(new[] { "200", "400", "413", "415", "500", "503" }));
    }

    private static double Metric(string text, string name)
    {
        string line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
