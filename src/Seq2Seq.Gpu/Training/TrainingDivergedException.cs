using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Training;

/// <summary>The loss became NaN or infinite. The weights of the failing step were not applied.</summary>
public sealed class TrainingDivergedException : Seq2SeqException
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception with a message saying where it happened.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
