namespace Seq2Seq.Cli.Serving;

/// <summary>The answer of <c>GET /health</c>.</summary>
/// <param name="Status"><c>ok</c>, or <c>stopping</c> once a shutdown has begun.</param>
/// <param name="Model">The model served, in one line.</param>
/// <param name="Device">The device it runs on and its kernels.</param>
/// <param name="MaxBatch">Most decoder rows in one batch.</param>
/// <param name="MaxDelayMs">Longest wait to fill a batch, in milliseconds.</param>
/// <param name="Dispatch">When a batch that is not full is decoded: <c>adaptive</c> or <c>full-or-delay</c>.</param>
/// <param name="Precision">The precision the decoder's weight matrices are read in: <c>fp32</c> or <c>bf16</c>.</param>
/// <param name="QueuedSentences">Sentences waiting for a batch now.</param>
internal sealed record HealthResponse(string Status, string Model, string Device, int MaxBatch, double MaxDelayMs, string Dispatch, string Precision, int QueuedSentences);
