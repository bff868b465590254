namespace Seq2Seq.Gpu.Errors;

/// <summary>A compute device that was asked for and is absent, failed to start, or ran out of memory.</summary>
public class DeviceException : Seq2SeqException
{
    /// <summary>Creates an exception with no message.</summary>
    public DeviceException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public DeviceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public DeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
