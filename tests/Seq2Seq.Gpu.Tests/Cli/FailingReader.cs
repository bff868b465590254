namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>Standard input that gives some lines, then fails as a read of a vanished device does.</summary>
/// <param name="lines">The lines before the failure.</param>
public sealed class FailingReader(string[] lines) : TextReader
{
    private int next;

    /// <inheritdoc />
    public override string? ReadLine() => next < lines.Length ? lines[next++] : throw new IOException("the input is gone");
}
