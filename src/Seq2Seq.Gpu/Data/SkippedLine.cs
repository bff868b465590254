namespace Seq2Seq.Gpu.Data;

/// <summary>A corpus line that was passed over because it is not a valid pair.</summary>
/// <param name="LineNumber">The 1-based line number in the file.</param>
/// <param name="Reason">Why the line is not a valid pair, e.g. "no tab between source and target".</param>
public sealed record SkippedLine(long LineNumber, string Reason);
