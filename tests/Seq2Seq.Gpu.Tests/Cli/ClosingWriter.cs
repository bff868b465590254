using System.Text;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// Standard output whose reader goes away after <c>linesBeforeClose</c> lines (as <c>| head -1</c> does): every
/// write after that throws an <see cref="IOException"/> with the given HResult, as .NET reports a write error.
/// </summary>
/// <param name="linesBeforeClose">Complete lines accepted before writes start to fail.</param>
/// <param name="hresult">The failure's HResult: 32 is EPIPE (broken pipe) on Linux and macOS.</param>
public sealed class ClosingWriter(int linesBeforeClose, int hresult = ClosingWriter.BrokenPipe) : TextWriter
{
    /// <summary>EPIPE, the errno .NET puts in the HResult of the IOException for a write to a pipe with no reader.</summary>
    public const int BrokenPipe = 32;

    private readonly StringBuilder written = new();
    private int lines;

    /// <summary>How many writes failed.</summary>
    public int FailedWrites { get; private set; }

    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>What was written before the reader went away.</summary>
    public override string ToString() => written.ToString();

    /// <inheritdoc />
    public override void Write(char value)
    {
        ThrowIfClosed();
        written.Append(value);
        if (value == '\n')
        {
            lines++;
        }
    }

    /// <inheritdoc />
    public override void Write(string? value)
    {
        foreach (char c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    /// <summary>Nothing is buffered here, so a flush has nothing to send and cannot fail (as with a pipe whose bytes were all written).</summary>
    public override void Flush()
    {
    }

    private void ThrowIfClosed()
    {
        if (lines >= linesBeforeClose)
        {
            FailedWrites++;
            throw new IOException("Broken pipe", hresult);
        }
    }
}
