namespace Seq2Seq.Gpu.Data;

/// <summary>What <see cref="CorpusReader"/> read: the pairs and an account of the lines it passed over.</summary>
public sealed class CorpusReadResult
{
    internal CorpusReadResult(
        string sourceName,
        IReadOnlyList<SentencePair> pairs,
        long linesRead,
        long blankLines,
        long skippedLines,
        IReadOnlyList<SkippedLine> skippedLineDetails)
    {
        SourceName = sourceName;
        Pairs = pairs;
        LinesRead = linesRead;
        BlankLines = blankLines;
        SkippedLines = skippedLines;
        SkippedLineDetails = skippedLineDetails;
    }

    /// <summary>The file path or display name the pairs came from (as used in error messages).</summary>
    public string SourceName { get; }

    /// <summary>The pairs, in file order.</summary>
    public IReadOnlyList<SentencePair> Pairs { get; }

    /// <summary>How many lines were looked at (reading stops early once <see cref="CorpusReadOptions.MaxPairs"/> is reached).</summary>
    public long LinesRead { get; }

    /// <summary>How many completely empty lines were ignored (they are neither pairs nor bad lines).</summary>
    public long BlankLines { get; }

    /// <summary>How many bad lines were skipped (only ever non-zero with <see cref="CorpusReadOptions.SkipBadLines"/>).</summary>
    public long SkippedLines { get; }

    /// <summary>
    /// The first skipped lines (up to <see cref="CorpusReadOptions.MaxReportedSkippedLines"/>) with their line
    /// numbers and reasons.
    /// </summary>
    public IReadOnlyList<SkippedLine> SkippedLineDetails { get; }
}
