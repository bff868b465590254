namespace Seq2Seq.Cli;

/// <summary>What a command writes to and how it is stopped: the streams, whether output is a live terminal, and the Ctrl+C token.</summary>
/// <param name="Out">Standard output: results and progress.</param>
/// <param name="Error">Standard error: the one-line error messages.</param>
/// <param name="Interactive">Whether <paramref name="Out"/> is a terminal, so a live progress bar may be drawn.</param>
/// <param name="In">Standard input (sentences for <c>translate</c>).</param>
/// <param name="Cancellation">Cancelled by Ctrl+C; long operations stop at the next batch.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool Interactive, TextReader In, CancellationToken Cancellation);
