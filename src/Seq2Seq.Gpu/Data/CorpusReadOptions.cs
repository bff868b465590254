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
    /// The longest sentence accepted, in tokens of <see cref="LengthLevel"/>, on either side (markers not counted);
    /// <see langword="null"/> (the default) accepts any length. A longer pair is a bad line (an error naming the
    /// file, the line, its length and the limit, or with <see cref="SkipBadLines"/> a skipped line), checked as each
    /// line is read, so an over-long line never reaches the encoder or the device. Training memory grows with the
    /// longest sentence of a batch (activations are [T x B x 4H] per layer), so training callers should set one;
    /// the command line's <c>--max-length</c> defaults to <see cref="DefaultTrainingMaxLength"/>.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>The token level <see cref="MaxLength"/> counts in (default <see cref="TokenLevel.Character"/>: code points).</summary>
    public TokenLevel LengthLevel { get; init; } = TokenLevel.Character;

    /// <summary>
    /// The training limit the command line uses unless told otherwise: 1,000 tokens. The longest pair of the whole
    /// 2017 fra-eng corpus has a few hundred characters, and a 1,000-step batch of 64 with H 256 needs about 1 GB of
    /// activations; beyond that, lines are usually broken data (a missing line end) rather than sentences.
    /// </summary>
    public const int DefaultTrainingMaxLength = 1000;

    /// <summary>
    /// How many skipped lines are described one by one in <see cref="CorpusReadResult.SkippedLineDetails"/>
    /// (default 100); all of them are counted in <see cref="CorpusReadResult.SkippedLines"/>.
    /// </summary>
    public int MaxReportedSkippedLines { get; init; } = 100;
}
