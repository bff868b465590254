namespace Seq2Seq.Gpu.IO;

/// <summary>
/// Writes a file so that a reader sees either the whole old file or the whole new one: the content goes to a
/// temporary file in the same folder, is flushed to disk, and is then renamed over the target. On any failure the
/// temporary file is removed and the target is left as it was. A process killed mid-write cannot remove its
/// temporary file, so each write first removes the stale temporary files of the same target (see
/// <see cref="RemoveStaleTemporaries"/>).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="writeContent"/> puts into the stream.</summary>
    /// <exception cref="IOException">The folder does not exist, or the file cannot be written or renamed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or the file may not be written.</exception>
    public static void Write(string path, Action<Stream> writeContent)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new IOException($"'{path}' names no file.");
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"the folder '{directory}' does not exist");
        }

        RemoveStaleTemporaries(fullPath);
        string tempPath = TempPathFor(fullPath);
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark, atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        byte[] bytes = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes(text);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The name of the temporary file for <paramref name="fullPath"/>: hidden, in the same folder, unique.</summary>
    internal static string TempPathFor(string fullPath)
    {
        string directory = Path.GetDirectoryName(fullPath) ?? string.Empty;
        return Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Removes the temporary files a killed write to <paramref name="fullPath"/> left behind: only names of this
    /// target's pattern (<c>.NAME.</c>, 32 hex digits, <c>.tmp</c>), only those last written more than
    /// <see cref="StaleAfter"/> ago, and only those no one holds open. A live writer holds its temporary file open
    /// with <see cref="FileShare.None"/> (an exclusive lock on every system .NET runs on), so another process's write
    /// in progress is never removed; the age rule covers the instant between its creating the file and locking it.
    /// Best effort: a file that cannot be removed is left, and the write goes on.
    /// </summary>
    internal static void RemoveStaleTemporaries(string fullPath)
    {
        string directory = Path.GetDirectoryName(fullPath) ?? string.Empty;
        string prefix = $".{Path.GetFileName(fullPath)}.";
        DateTime cutoff = DateTime.UtcNow - StaleAfter;
        List<string> candidates;
        try
        {
            // "*.tmp", not the prefix: a target's name may hold the pattern's own wildcards.
            candidates = [.. Directory.EnumerateFiles(directory, "*.tmp").Where(p => IsTempName(Path.GetFileName(p), prefix))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            try
            {
                if (File.GetLastWriteTimeUtc(candidate) > cutoff)
                {
                    continue;
                }

                // Opening it exclusively fails while a writer holds it; closing before the delete leaves a window only
                // for a writer that reopens an old temporary file, which no writer does (each makes a new name).
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                File.Delete(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use, already gone, or not ours to remove: leave it.
            }
        }
    }

    /// <summary>How old a temporary file must be before it counts as left by a killed write.</summary>
    internal static TimeSpan StaleAfter { get; } = TimeSpan.FromMinutes(1);

    private static bool IsTempName(string name, string prefix)
    {
        const int GuidDigits = 32;
        if (name.Length != prefix.Length + GuidDigits + ".tmp".Length || !name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in name.AsSpan(prefix.Length, GuidDigits))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
