namespace Seq2Seq.Cli;

/// <summary>An error the command reports as one line and an exit code (no stack trace).</summary>
internal sealed class CliException : Exception
{
    /// <summary>Creates an error with exit code <see cref="ExitCodes.Failure"/>.</summary>
    public CliException(string message)
        : this(message, ExitCodes.Failure)
    {
    }

    /// <summary>Creates an error with an explicit exit code.</summary>
    public CliException(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>Creates an error with exit code <see cref="ExitCodes.Failure"/> and a cause.</summary>
    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failure;
    }

    /// <summary>Creates an error with no message (exit code <see cref="ExitCodes.Failure"/>).</summary>
    public CliException()
    {
        ExitCode = ExitCodes.Failure;
    }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }

    /// <summary>A usage error (options that cannot be combined, values out of range): exit code 2.</summary>
    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}
