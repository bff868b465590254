namespace Seq2Seq.Cli;

/// <summary>The process exit codes of the <c>seq2seq</c> command.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>A runtime error: bad data, an unreadable checkpoint, a device problem, a diverged run, an I/O error.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown option, missing or invalid value, options that cannot be combined.</summary>
    public const int Usage = 2;

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
