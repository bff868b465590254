using Seq2Seq.Cli;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>One in-process run of the <c>seq2seq</c> command line: its exit code and what it wrote.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs the command line with captured output (not interactive).</summary>
    public static CliRun Of(params string[] args) => Of(CancellationToken.None, args);

    /// <summary>Runs the command line with captured output and a cancellation token.</summary>
    public static CliRun Of(CancellationToken cancellationToken, params string[] args) => WithInput(null, cancellationToken, args);

    /// <summary>Runs the command line with <paramref name="input"/> as standard input.</summary>
    public static CliRun WithInput(string? input, CancellationToken cancellationToken, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stdin = input is null ? null : new StringReader(input);
        int code = CliApp.Run(args, stdout, stderr, interactive: false, stdin, cancellationToken);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The non-empty lines of standard error.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}
