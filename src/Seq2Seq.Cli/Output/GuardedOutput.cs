using System.Text;

namespace Seq2Seq.Cli.Output;

/// <summary>
/// Standard output as the commands see it: every write goes to the real writer, and a write or flush that fails
/// because the pipe has no reader any more becomes an <see cref="OutputClosedException"/>, which
/// <see cref="CliApp"/> ends quietly with exit code 0. Other write errors (a full disk) stay errors.
/// </summary>
internal sealed class GuardedOutput(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    /// <summary>EPIPE on Linux and macOS: .NET puts the errno in the HResult of the IOException it throws.</summary>
    private const int Epipe = 32;

    /// <summary>ERROR_BROKEN_PIPE and ERROR_NO_DATA on Windows, as HResults.</summary>
    private const int WindowsBrokenPipe = unchecked((int)0x8007006D);
    private const int WindowsNoData = unchecked((int)0x800700E8);

    /// <inheritdoc />
    public override Encoding Encoding => inner.Encoding;

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    /// <summary>Whether <paramref name="e"/> says the reader of a pipe has gone.</summary>
    public static bool IsBrokenPipe(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.HResult is Epipe or WindowsBrokenPipe or WindowsNoData;
    }

    /// <inheritdoc />
    public override void Write(char value) => Guard(() => inner.Write(value));

    /// <inheritdoc />
    public override void Write(string? value) => Guard(() => inner.Write(value));

    /// <inheritdoc />
    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

    /// <inheritdoc />
    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

    /// <inheritdoc />
    public override void WriteLine() => Guard(inner.WriteLine);

    /// <inheritdoc />
    public override void Flush() => Guard(inner.Flush);

    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException e) when (e is not OutputClosedException && IsBrokenPipe(e))
        {
            throw new OutputClosedException("standard output was closed (broken pipe)", e);
        }
    }
}
