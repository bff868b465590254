namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Rows <c>(first + k)·batch + b</c> of a [T, B, ·] tensor for k below <see cref="Count"/>: consecutive steps of one
/// batch row (sentence), which the host attention loops compute together. A member past <see cref="Count"/> reads as the
/// last one (see <see cref="GroupOffsets"/>).
/// </summary>
internal readonly struct GroupRows(int first, int batch, int b, int count)
{
    /// <summary>The most members of a group.</summary>
    public const int MaxCount = 4;

    /// <summary>Members of the group (1 to <see cref="MaxCount"/>).</summary>
    public int Count { get; } = count;

    /// <summary>Row index of member <paramref name="k"/>.</summary>
    public nint this[int k] => ((nint)(first + Math.Min(k, Count - 1)) * batch) + b;

    /// <summary>The members' offsets in elements when each row is <paramref name="width"/> wide.</summary>
    public GroupOffsets Offsets(int width) => new(Count, this[0] * width, (nint)batch * width);
}
