namespace Seq2Seq.Gpu.Data;

/// <summary>
/// How <see cref="CorpusReader"/> reads a corpus. Immutable; the defaults read every pair and fail on the first
/// bad line.
/// </summary>
public sealed record CorpusReadOptions
{
    /// <summary>The options with every default: all pairs, no pairs skipped, bad lines are errors.</summary>
    public static CorpusReadOptions Default { get; } = new();

    /// <summary>
    /// The most pairs to return (after <see cref="SkipPairs"/>), like Keras' <c>num_samples</c>: the first N pairs.
    /// <see langword="null"/> (the default) returns all of them. Reading stops as soon as this many pairs are
    /// read, so lines after them are not looked at.
    /// </summary>
    public int? MaxPairs { get; init; }

    /// <summary>
    /// How many good pairs to pass over before collecting any (default 0). With <see cref="MaxPairs"/> this picks
    /// a window of the file, e.g. held-out pairs that follow the training pairs. Skipped pairs are still checked,
    /// so a bad line among them is still an error (or, with <see cref="SkipBadLines"/>, still counted).
    /// </summary>
    public int SkipPairs { get; init; }

    /// <summary>
    /// When <see langword="true"/>, a bad line (no tab, an empty side, invalid UTF-8) is passed over and
    /// reported in <see cref="CorpusReadResult"/> instead of raising an error. Default <see langword="false"/>.
    /// </summary>
    public bool SkipBadLines { get; init; }

    /// <summary>
    /// How many skipped lines are described one by one in <see cref="CorpusReadResult.SkippedLineDetails"/>
    /// (default 100); all of them are counted in <see cref="CorpusReadResult.SkippedLines"/>.
    /// </summary>
    public int MaxReportedSkippedLines { get; init; } = 100;
}
