namespace Seq2Seq.Gpu.Errors;

/// <summary>
/// Base type of every error the engine raises on purpose. Its message says what went wrong and where
/// (a file and line, a tensor name, a device), so an application can show it to a user as it is.
/// </summary>
public class Seq2SeqException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public Seq2SeqException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public Seq2SeqException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public Seq2SeqException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
