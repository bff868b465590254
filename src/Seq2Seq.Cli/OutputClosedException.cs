namespace Seq2Seq.Cli;

/// <summary>
/// Standard output has no reader any more (a broken pipe, e.g. <c>| head -1</c> has exited): the command stops
/// quietly, since there is no one left to tell.
/// </summary>
internal sealed class OutputClosedException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public OutputClosedException()
        : base("standard output was closed")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public OutputClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception for the write error that revealed the closed pipe.</summary>
    public OutputClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
