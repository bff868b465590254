using System.Text;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.IO;

/// <summary>
/// An exclusive claim on a training output, held by one run for its whole lifetime: the lock file <c>NAME.lock</c>
/// beside the model path (<c>runs/m.s2s</c> → <c>runs/m.lock</c>), which names the holder (pid, host, start time,
/// command) and carries an operating-system file lock. A second run on the same output fails at once with an
/// <see cref="OutputLockedException"/> naming the holder. A lock file whose OS lock is free was left by a run that
/// died; it is taken over and reported in <see cref="TakenOverFrom"/>. Disposing releases the lock and removes the file.
/// </summary>
/// <remarks>
/// <para>The lock is per model name without its extension, as the metrics and curves files are
/// (<c>m.s2s</c> and <c>m.bin</c> share <c>m.metrics.csv</c>, so they share <c>m.lock</c> too).</para>
/// <para>The OS lock is .NET's file-sharing lock (<c>flock</c> on Unix, share modes on Windows), which is released by
/// the OS when the process ends however it ends, and which conflicts between two handles of the same process as
/// well, so two trainers in one process exclude each other too. A run holds a shared lock on the file, so that others
/// can read who it is; a new run must get the exclusive lock, which only a free file gives. Locks are advisory: only
/// runs that use this type are kept out, and network file systems may not honour them.</para>
/// </remarks>
internal sealed class OutputLock : IDisposable
{
    private const int Attempts = 5;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private FileStream? held;

    private OutputLock(string modelPath, string lockPath, FileStream held, OutputLockOwner owner, OutputLockOwner? takenOverFrom)
    {
        ModelPath = modelPath;
        LockPath = lockPath;
        this.held = held;
        Owner = owner;
        TakenOverFrom = takenOverFrom;
    }

    /// <summary>The model path this lock guards (full path).</summary>
    public string ModelPath { get; }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>This run, as its lock file names it.</summary>
    public OutputLockOwner Owner { get; }

    /// <summary>The run that left a stale lock file (its process had ended) which this lock took over; null when there was none.</summary>
    public OutputLockOwner? TakenOverFrom { get; }

    /// <summary>The lock file of a model path: <c>m.s2s</c> → <c>m.lock</c>, in the same folder.</summary>
    public static string LockPathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string full = Path.GetFullPath(modelPath);
        return Path.Combine(Path.GetDirectoryName(full) ?? string.Empty, Path.GetFileNameWithoutExtension(full) + ".lock");
    }

    /// <summary>
    /// Checks that the model's folder can be written (by creating and removing a file) and takes the lock.
    /// </summary>
    /// <param name="modelPath">The model file the run will write; its folder must exist.</param>
    /// <param name="command">What the run is, for the lock file (default: this process's command line).</param>
    /// <returns>The held lock; dispose it when the run ends.</returns>
    /// <exception cref="OutputLockedException">Another live run holds the lock.</exception>
    /// <exception cref="CheckpointException">The folder is missing or cannot be written.</exception>
    public static OutputLock Acquire(string modelPath, string? command = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string full = Path.GetFullPath(modelPath);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{modelPath}' names no file", nameof(modelPath));
        OutputFolder.EnsureWritable(folder);
        string lockPath = LockPathFor(full);
        var owner = new OutputLockOwner(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow, command ?? Environment.CommandLine);
        for (int attempt = 1; ; attempt++)
        {
            OutputLock? taken = TryTake(full, lockPath, owner, attempt == Attempts);
            if (taken is not null)
            {
                return taken;
            }

            // Another run was between its exclusive and its shared lock, or removing its file: look again shortly.
            Thread.Sleep(20 * attempt);
        }
    }

    /// <summary>Releases the lock and removes the lock file.</summary>
    public void Dispose()
    {
        var stream = Interlocked.Exchange(ref held, null);
        if (stream is null)
        {
            return;
        }

        // Removed while still held, so no other run can take it and then lose its file to this delete.
        TryDelete(LockPath);
        stream.Dispose();
    }

    private static OutputLock? TryTake(string modelPath, string lockPath, OutputLockOwner owner, bool last)
    {
        string token = Guid.NewGuid().ToString("N");
        OutputLockOwner? previous;
        try
        {
            using var exclusive = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            previous = OutputLockOwner.Parse(ReadAll(exclusive))?.Owner;
            exclusive.SetLength(0);
            exclusive.Write(Utf8.GetBytes(owner.Format(token)));
            exclusive.Flush(flushToDisk: true);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            OutputLockOwner? holder = TryReadOwner(lockPath);
            if (holder is null && !last)
            {
                return null;
            }

            throw new OutputLockedException(lockPath, holder, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CheckpointException($"the lock file '{lockPath}' cannot be written: {e.Message}", e);
        }

        // Downgrade to a shared lock, which readers can share. Between the two another run may have taken the file
        // (or it was the unlinked file of a run that was just removing it): the token says whether it is still ours.
        FileStream shared;
        try
        {
            shared = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (IOException) when (!last)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new OutputLockedException(lockPath, TryReadOwner(lockPath), e);
        }

        if (OutputLockOwner.Parse(ReadAll(shared)) is { } current && current.Token == token)
        {
            return new OutputLock(modelPath, lockPath, shared, owner, previous);
        }

        shared.Dispose();
        return last ? throw new OutputLockedException(lockPath, TryReadOwner(lockPath), new IOException("the lock was taken by another run")) : null;
    }

    private static OutputLockOwner? TryReadOwner(string lockPath)
    {
        try
        {
            using var stream = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return OutputLockOwner.Parse(ReadAll(stream))?.Owner;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string ReadAll(FileStream stream)
    {
        stream.Position = 0;
        using var reader = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        return reader.ReadToEnd();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A lock file left behind is harmless: its OS lock is released with the handle, so the next run takes it over.
        }
    }
}
