namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Offsets of up to <see cref="GroupRows.MaxCount"/> members of a group, <c>first + k·step</c>; a member past
/// <see cref="Count"/> reads as the last one, so that code unrolled for a full group reads valid memory (and stores only
/// the first <see cref="Count"/>).
/// </summary>
internal readonly struct GroupOffsets(int count, nint first, nint step)
{
    /// <summary>Members of the group (1 to <see cref="GroupRows.MaxCount"/>).</summary>
    public int Count { get; } = count;

    /// <summary>The offset of member <paramref name="k"/> (the last member's past <see cref="Count"/>).</summary>
    public nint this[int k] => first + (Math.Min(k, Count - 1) * step);
}
