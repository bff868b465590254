namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// A step scorer whose model attends: after each <see cref="IStepScorer.Advance"/>, the attention weights that step
/// computed for every row, so that beam search can keep each hypothesis's alignment.
/// </summary>
internal interface IAttentionSource
{
    /// <summary>Whether the model attends (otherwise <see cref="LastAttention"/> is empty).</summary>
    bool HasAttention { get; }

    /// <summary>Source positions Ts of the current decode (the width of a row of weights).</summary>
    int SourcePositions { get; }

    /// <summary>The weights of the last step, [rows, Ts] row-major.</summary>
    float[] LastAttention();
}
