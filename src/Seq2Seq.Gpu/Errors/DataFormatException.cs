namespace Seq2Seq.Gpu.Errors;

/// <summary>A corpus or vocabulary file that cannot be read: the message names the file and the line.</summary>
public class DataFormatException : Seq2SeqException
{
    /// <summary>Creates an exception with no message.</summary>
    public DataFormatException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public DataFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public DataFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
