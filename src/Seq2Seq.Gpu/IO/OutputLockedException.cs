using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.IO;

/// <summary>An output (a model path and the files beside it) that another live run holds with its <see cref="OutputLock"/>.</summary>
public class OutputLockedException : CheckpointException
{
    /// <summary>Creates an exception with no message.</summary>
    public OutputLockedException()
    {
    }

    /// <summary>Creates an exception with a message that says what and where.</summary>
    public OutputLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public OutputLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the lock file and, when its file could be read, the run that holds it.</summary>
    public OutputLockedException(string lockPath, OutputLockOwner? owner, Exception innerException)
        : base(
            owner is null
                ? $"the output is in use by another run: '{lockPath}' is locked (its holder could not be read)"
                : $"the output is in use by another run: '{lockPath}' is held by {owner}",
            innerException)
    {
        LockPath = lockPath;
        Owner = owner;
    }

    /// <summary>The lock file.</summary>
    public string? LockPath { get; }

    /// <summary>The run holding it, when its lock file could be read.</summary>
    public OutputLockOwner? Owner { get; }
}
