namespace Seq2Seq.Gpu.Errors;

/// <summary>
/// A distributed run cannot start or go on: the MPI library is missing or failed, or the ranks disagree about the run
/// (another corpus, other options, weights that drifted apart). The message names the rank and what differs.
/// </summary>
public class DistributedException : Seq2SeqException
{
    /// <summary>Creates the exception.</summary>
    public DistributedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong, and where.</param>
    public DistributedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What went wrong, and where.</param>
    /// <param name="innerException">The cause.</param>
    public DistributedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
