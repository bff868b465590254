namespace Seq2Seq.Gpu.IO;

/// <summary>
/// Writes a file so that a reader sees either the whole old file or the whole new one: the content goes to a
/// temporary file in the same folder, is flushed to disk, and is then renamed over the target. On any failure the
/// temporary file is removed and the target is left as it was.
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
