namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>One queued sentence of a <see cref="TranslationService"/> request, and the promise of its result.</summary>
internal sealed class PendingSentence(int[] ids, bool truncated, int beamWidth, int nBest, long enqueued, long sequence)
{
    public int[] Ids { get; } = ids;

    public bool Truncated { get; } = truncated;

    public int BeamWidth { get; } = beamWidth;

    public int NBest { get; } = nBest;

    /// <summary>When it was queued (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
    public long Enqueued { get; } = enqueued;

    /// <summary>How many sentences the service had accepted before this one.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>Completed by the decoding thread, or cancelled by the caller while it waits.</summary>
    public TaskCompletionSource<ServedTranslation> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether it is settled (decoded, failed or cancelled).</summary>
    public bool IsSettled => Completion.Task.IsCompleted;
}
