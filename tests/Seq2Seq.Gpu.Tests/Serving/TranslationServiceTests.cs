using System.Collections.Concurrent;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Inference.Serving;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>The batching queue alone: results equal the translator's, batches form and split, cancellation and stop.</summary>
public sealed class TranslationServiceTests
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);

    [Test]
    public async Task Concurrent_greedy_and_beam_requests_get_what_sequential_translator_calls_give()
    {
        var sentences = ServingModel.Sentences(60, 21);
        var requests = Enumerable.Range(0, 24).Select(i => sentences.Skip(i * 2).Take(1 + (i % 3)).ToList()).ToList();
        using var greedy = ServingModel.Model.CreateTranslator();
        using var beam = ServingModel.Model.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 2 });
        var expected = requests.Select(r => greedy.Translate(r)).ToList();
        var expectedBeam = requests.Select(r => r.Select(s => beam.TranslateNBest(s, 2)).ToList()).ToList();
        Assert.That(expected.SelectMany(t => t).Distinct().Count(), Is.GreaterThan(5), "the model's outputs differ from sentence to sentence");
        var batches = new ConcurrentBag<DecodedBatch>();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 8, MaxDelay = TimeSpan.FromMilliseconds(20), OnBatch = batches.Add });

        var greedyCalls = requests.Select(r => Task.Run(() => service.TranslateAsync(r))).ToList();
        var beamCalls = requests.Select(r => Task.Run(() => service.TranslateAsync(r, beamWidth: 3, nBest: 2))).ToList();
        var got = await Task.WhenAll(greedyCalls);
        var gotBeam = await Task.WhenAll(beamCalls);

        for (int i = 0; i < requests.Count; i++)
        {
            Assert.That(got[i].Select(t => t.Text), Is.EqualTo(expected[i]), $"greedy request {i}");
            Assert.That(got[i].Select(t => t.Hypotheses.Count), Is.All.EqualTo(1));
            for (int j = 0; j < requests[i].Count; j++)
            {
                Assert.That(gotBeam[i][j].Hypotheses.Select(h => h.Tokens), Is.EqualTo(expectedBeam[i][j].Select(h => h.Tokens)), $"beam request {i}, sentence {j}");
                Assert.That(gotBeam[i][j].Hypotheses.Select(h => h.Score), Is.EqualTo(expectedBeam[i][j].Select(h => h.Score)).Within(1e-4));
            }
        }

        Assert.That(batches.Where(b => b.BeamWidth == 3).Select(b => b.Sentences), Is.All.LessThanOrEqualTo(2), "beam batches hold max-batch / beam rows' worth of sentences");
        Assert.That(batches.Select(b => b.Error), Is.All.Null);
    }

    [Test]
    public async Task A_bf16_service_translates_as_a_bf16_translator_on_the_host_and_the_ilgpu_kernels()
    {
        var sentences = ServingModel.Sentences(16, 5);
        using var translator = ServingModel.Model.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16 });
        var expected = translator.Translate(sentences);
        await using (var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 8, MaxDelay = TimeSpan.FromMilliseconds(20), Precision = WeightPrecision.Bf16 }))
        {
            // One request, split into two batches of 8 in order: the batches do not depend on timing.
            var got = await service.TranslateAsync(sentences);
            Assert.That(got.Select(g => g.Text), Is.EqualTo(expected));
        }

        // The ILGPU kernels (the GPU path) serve bfloat16 too, from their device copies.
        var pairs = TinyTasks.Reverse(6, 4, 3);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var ilgpu = Seq2SeqModel.Create(TestDevices.CpuIlgpu(), text, Seq2SeqConfig.ForText(text, 0, 8), seed: 2);
        var ilgpuSentences = pairs.Select(p => p.Source).ToList();
        using var ilgpuTranslator = ilgpu.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16 });
        var ilgpuExpected = ilgpuTranslator.Translate(ilgpuSentences);
        await using (var service = new TranslationService(ilgpu, new() { MaxBatch = 8, MaxDelay = TimeSpan.FromMilliseconds(20), Precision = WeightPrecision.Bf16 }))
        {
            var got = await service.TranslateAsync(ilgpuSentences);
            Assert.That(got.Select(g => g.Text), Is.EqualTo(ilgpuExpected));
        }
    }

    [Test]
    public async Task An_attention_model_served_in_batches_translates_as_the_translator_does()
    {
        using var model = ServingModel.CreateModel(Models.AttentionKind.General, bidirectional: true);
        var sentences = ServingModel.Sentences(24, 33);
        using var translator = model.CreateTranslator();
        var expected = translator.Translate(sentences);
        await using var service = new TranslationService(model, new() { MaxBatch = 8, MaxDelay = TimeSpan.FromMilliseconds(20) });

        var got = await Task.WhenAll(sentences.Select(s => Task.Run(() => service.TranslateAsync([s]))));

        Assert.That(got.Select(g => g[0].Text), Is.EqualTo(expected), "rows dropped from a batch as they finish keep the others' memory");
    }

    [Test]
    public async Task Greedy_scores_are_the_log_probabilities_beam_search_of_width_one_gives()
    {
        var sentences = ServingModel.Sentences(10, 4);
        using var beam1 = ServingModel.Model.CreateTranslator(new DecodingOptions { BeamWidth = 1 });
        await using var service = new TranslationService(ServingModel.Model, new() { MaxDelay = TimeSpan.Zero });

        var got = await service.TranslateAsync(sentences);

        for (int i = 0; i < sentences.Count; i++)
        {
            var expected = beam1.TranslateNBest(sentences[i], 1)[0];
            Assert.That(got[i].Best.Tokens, Is.EqualTo(expected.Tokens), sentences[i]);
            Assert.That(got[i].Best.LogProbability, Is.EqualTo(expected.LogProbability).Within(1e-4), sentences[i]);
            Assert.That(got[i].Best.Score, Is.EqualTo(expected.Score).Within(1e-4), sentences[i]);
            Assert.That(got[i].Best.Finished, Is.EqualTo(expected.Finished), sentences[i]);
        }
    }

    [Test]
    public async Task Sentences_of_concurrent_callers_are_decoded_in_full_batches()
    {
        var batches = new BatchLog();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 4, MaxDelay = Forever, Dispatch = BatchDispatch.FullOrDelay, OnBatch = batches.Record });

        // Full-or-delay with a delay that never expires: a batch is decoded only when 4 sentences are there, so 8 callers make exactly two.
        var calls = ServingModel.Sentences(8, 3).Select(s => Task.Run(() => service.TranslateAsync(s))).ToList();
        await Task.WhenAll(calls);

        Assert.That(await batches.After(2), Is.EqualTo(new[] { 4, 4 }));
    }

    [Test]
    public async Task A_request_larger_than_a_batch_is_split_and_comes_back_in_order()
    {
        var batches = new BatchLog();
        var sentences = ServingModel.Sentences(11, 8);
        using var translator = ServingModel.Model.CreateTranslator();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 3, MaxDelay = TimeSpan.Zero, OnBatch = batches.Record });

        var got = await service.TranslateAsync(sentences);

        Assert.That(got.Select(t => t.Text), Is.EqualTo(translator.Translate(sentences)));
        Assert.That(await batches.After(4), Is.EqualTo(new[] { 3, 3, 3, 2 }));
    }

    [Test]
    public async Task The_stream_yields_every_translation_in_order()
    {
        var sentences = ServingModel.Sentences(7, 9).Append(string.Empty).ToList();
        using var translator = ServingModel.Model.CreateTranslator();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 2, MaxDelay = TimeSpan.Zero });

        var got = new List<string>();
        await foreach (var translation in service.TranslateStreamAsync(sentences))
        {
            got.Add(translation.Text);
        }

        Assert.That(got, Is.EqualTo(translator.Translate(sentences)));
        Assert.That(got[^1], Is.Empty);
    }

    [Test]
    public async Task Cancelling_a_caller_drops_its_queued_sentences_and_others_are_served()
    {
        var decoded = new ConcurrentQueue<int>();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 64, MaxDelay = Forever, Dispatch = BatchDispatch.FullOrDelay, OnBatch = b => decoded.Enqueue(b.Sentences) });
        using var cancellation = new CancellationTokenSource();

        var cancelled = service.TranslateAsync(["abc", "de"], cancellationToken: cancellation.Token);
        var kept = service.TranslateAsync(["fed"]);
        Assert.That(service.QueuedSentences, Is.EqualTo(3));
        await cancellation.CancelAsync();

        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(service.QueuedSentences, Is.EqualTo(1));
        await service.StopAsync();
        using var translator = ServingModel.Model.CreateTranslator();
        Assert.That((await kept).Single().Text, Is.EqualTo(translator.Translate("fed")));
        Assert.That(decoded, Is.EqualTo(new[] { 1 }), "only the kept sentence was decoded");
    }

    [Test]
    public async Task Stopping_finishes_every_accepted_sentence_and_refuses_new_ones()
    {
        var sentences = ServingModel.Sentences(9, 12);
        using var translator = ServingModel.Model.CreateTranslator();
        var decoded = new ConcurrentQueue<int>();
        var service = new TranslationService(ServingModel.Model, new() { MaxBatch = 4, MaxDelay = Forever, Dispatch = BatchDispatch.FullOrDelay, OnBatch = b => decoded.Enqueue(b.Sentences) });
        var calls = sentences.Select(s => service.TranslateAsync(s)).ToList();
        var beamCall = service.TranslateAsync("abc", beamWidth: 2);

        await service.DisposeAsync();

        // The decoding thread reports each batch after answering its callers and before the stop completes, so the
        // log is whole here; the callers' own tasks finish on the thread pool a moment later, so they are awaited.
        Assert.That(decoded.Sum(), Is.EqualTo(sentences.Count + 1), "every accepted sentence was decoded before the stop completed");
        Assert.That(service.QueuedSentences, Is.Zero);
        var results = await Task.WhenAll(calls);
        Assert.That(results.Select(r => r.Text), Is.EqualTo(translator.Translate(sentences)));
        Assert.That((await beamCall).Text, Is.Not.Null);
        Assert.That(service.IsStopping, Is.True);
        Assert.That(() => service.TranslateAsync("abc"), Throws.InvalidOperationException.With.Message.Contains("stopping"));
    }

    [Test]
    public async Task Invalid_requests_are_refused_with_the_argument_named()
    {
        await using var service = new TranslationService(ServingModel.Model, new() { MaxBeamWidth = 4 });

        Assert.That(() => service.TranslateAsync(["a"], beamWidth: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("beam width"));
        Assert.That(() => service.TranslateAsync(["a"], beamWidth: 5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("between 1 and 4"));
        Assert.That(() => service.TranslateAsync(["a"], beamWidth: 2, nBest: 3), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("n-best"));
        Assert.That(() => service.TranslateAsync(["a", null!]), Throws.ArgumentException.With.Message.Contains("sentence 1"));
        Assert.That(() => new TranslationService(ServingModel.Model, new() { MaxBatch = 0 }), Throws.ArgumentException.With.Message.Contains("max batch"));
    }
}
