using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Seq2Seq.Gpu.Inference.Serving;

namespace Seq2Seq.Cli.Serving;

/// <summary>What <c>GET /metrics</c> reports, in the Prometheus text format (names in docs/serving.md).</summary>
internal sealed class ServerMetrics
{
    private static readonly string[] Paths = ["/translate", "/health", "/metrics", "/openapi/v1.json"];
    private readonly ConcurrentDictionary<(string Path, int Status), long> requests = new();
    private long sentences;
    private long failedBatches;
    private long cancelledSentences;

    /// <summary>Sentences a batch decoded together.</summary>
    public Histogram BatchSize { get; } = new("seq2seq_batch_size", "Sentences decoded together in one device batch.", [1, 2, 4, 8, 16, 32, 64, 128, 256]);

    /// <summary>Seconds a sentence waited before its batch started.</summary>
    public Histogram QueueSeconds { get; } = new(
        "seq2seq_queue_seconds", "Seconds a sentence waited in the queue before its batch was decoded.", [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

    /// <summary>Seconds a batch took to decode.</summary>
    public Histogram DecodeSeconds { get; } = new(
        "seq2seq_decode_seconds", "Seconds one device batch took to decode.", [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

    /// <summary>Counts one answered HTTP request (paths other than the API's are counted as <c>other</c>).</summary>
    public void CountRequest(string path, int status) =>
        requests.AddOrUpdate((Paths.Contains(path) ? path : "other", status), 1, (_, n) => n + 1);

    /// <summary>Counts sentences whose client went away before they were answered (the service's <see cref="TranslationServiceOptions.OnCancelled"/>).</summary>
    public void CountCancelled(int count) => Interlocked.Add(ref cancelledSentences, count);

    /// <summary>Records a decoded batch (the service's <see cref="TranslationServiceOptions.OnBatch"/>).</summary>
    public void RecordBatch(DecodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Error is not null)
        {
            Interlocked.Increment(ref failedBatches);
        }
        else
        {
            Interlocked.Add(ref sentences, batch.Sentences);
        }

        BatchSize.Observe(batch.Sentences);
        DecodeSeconds.Observe(batch.DecodeTime.TotalSeconds);
        foreach (var wait in batch.QueueTimes)
        {
            QueueSeconds.Observe(wait.TotalSeconds);
        }
    }

    /// <summary>Everything, in the Prometheus text exposition format (version 0.0.4).</summary>
    public string Render(int queued)
    {
        var text = new StringBuilder();
        text.Append("# HELP seq2seq_http_requests_total HTTP requests answered, by path and status code.\n# TYPE seq2seq_http_requests_total counter\n");
        foreach (var ((path, status), count) in requests.OrderBy(r => r.Key.Path, StringComparer.Ordinal).ThenBy(r => r.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"seq2seq_http_requests_total{{path=\"{path}\",code=\"{status}\"}} {count}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"# HELP seq2seq_sentences_total Sentences translated.\n# TYPE seq2seq_sentences_total counter\nseq2seq_sentences_total {Interlocked.Read(ref sentences)}\n");
        text.Append(CultureInfo.InvariantCulture, $"# HELP seq2seq_failed_batches_total Batches whose decode failed.\n# TYPE seq2seq_failed_batches_total counter\nseq2seq_failed_batches_total {Interlocked.Read(ref failedBatches)}\n");
        text.Append(CultureInfo.InvariantCulture, $"# HELP seq2seq_cancelled_sentences_total Sentences dropped because their client went away before they were answered.\n# TYPE seq2seq_cancelled_sentences_total counter\nseq2seq_cancelled_sentences_total {Interlocked.Read(ref cancelledSentences)}\n");
        text.Append(CultureInfo.InvariantCulture, $"# HELP seq2seq_queued_sentences Sentences waiting for a batch.\n# TYPE seq2seq_queued_sentences gauge\nseq2seq_queued_sentences {queued}\n");
        BatchSize.WriteTo(text);
        QueueSeconds.WriteTo(text);
        DecodeSeconds.WriteTo(text);
        return text.ToString();
    }
}
