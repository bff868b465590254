using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>How a <see cref="TranslationService"/> forms and decodes its batches.</summary>
public sealed record TranslationServiceOptions
{
    /// <summary>Most decoder rows in one device batch: sentences for greedy decoding, sentences × beam width for beam search (at least one sentence a batch).</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>Longest time the oldest queued sentence waits for its batch to fill before the batch is decoded as it is.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>When the free decoding thread decodes a batch that is not full (see <see cref="BatchDispatch"/>); <see cref="MaxDelay"/> bounds the wait under every policy.</summary>
    public BatchDispatch Dispatch { get; init; } = BatchDispatch.Adaptive;

    /// <summary>Most tokens produced per sentence (END excluded); null: the translator's default (see <see cref="DecodingOptions.MaxLength"/>).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Length normalisation α of the scores, as <see cref="DecodingOptions.LengthPenalty"/>.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>
    /// The precision the decoder's matrices are read in, as <see cref="DecodingOptions.Precision"/>: the greedy
    /// translator's bfloat16 copies are made when the service is created, so a device that cannot hold them fails then.
    /// </summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.Fp32;

    /// <summary>Largest beam width a request may ask for.</summary>
    public int MaxBeamWidth { get; init; } = 16;

    /// <summary>Called on the service's decoding thread after every batch (for metrics); it must be quick and must not throw.</summary>
    public Action<DecodedBatch>? OnBatch { get; init; }

    /// <summary>Called on the caller's thread after a request's sentences are queued, with the number of sentences then waiting (for metrics, and for tests that wait until work is queued); it must be quick and must not throw.</summary>
    public Action<int>? OnEnqueued { get; init; }

    /// <summary>Called on the cancelling thread with the number of a request's sentences its cancellation dropped before they were answered (for metrics, and for tests that wait until a cancellation has happened); it must be quick and must not throw.</summary>
    public Action<int>? OnCancelled { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (MaxBatch < 1)
        {
            throw new ArgumentException($"max batch must be at least 1 (got {MaxBatch})");
        }

        if (MaxDelay < TimeSpan.Zero || MaxDelay.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"max delay must be between 0 and {int.MaxValue} ms (got {MaxDelay.TotalMilliseconds} ms)");
        }

        if (!Enum.IsDefined(Dispatch))
        {
            throw new ArgumentException($"dispatch must be one of {string.Join(", ", BatchDispatches.Names)} (got {(int)Dispatch})");
        }

        if (MaxBeamWidth < 1)
        {
            throw new ArgumentException($"max beam width must be at least 1 (got {MaxBeamWidth})");
        }

        new DecodingOptions { MaxLength = MaxLength, LengthPenalty = LengthPenalty, MaxBatch = MaxBatch, Precision = Precision }.Validate();
    }
}
