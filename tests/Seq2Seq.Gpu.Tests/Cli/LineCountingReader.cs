namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>Standard input of <paramref name="count"/> copies of <paramref name="line"/> that counts how many were read.</summary>
/// <param name="line">The line every read returns.</param>
/// <param name="count">How many lines there are.</param>
public sealed class LineCountingReader(string line, int count) : TextReader
{
    /// <summary>How many lines were taken.</summary>
    public int LinesRead { get; private set; }

    /// <inheritdoc />
    public override string? ReadLine()
    {
        if (LinesRead >= count)
        {
            return null;
        }

        LinesRead++;
        return line;
    }
}
