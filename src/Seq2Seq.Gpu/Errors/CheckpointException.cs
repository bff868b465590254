namespace Seq2Seq.Gpu.Errors;

/// <summary>A checkpoint that cannot be read or written: truncated, corrupt, of an unknown version, or with a wrong tensor shape.</summary>
public class CheckpointException : Seq2SeqException
{
    /// <summary>Creates an exception with no message.</summary>
    public CheckpointException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
