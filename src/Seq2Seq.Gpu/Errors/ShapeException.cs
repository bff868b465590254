namespace Seq2Seq.Gpu.Errors;

/// <summary>A tensor, batch or configuration whose shape does not match what an operation expects.</summary>
public class ShapeException : Seq2SeqException
{
    /// <summary>Creates an exception with no message.</summary>
    public ShapeException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public ShapeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public ShapeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
