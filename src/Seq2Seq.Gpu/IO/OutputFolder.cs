using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.IO;

/// <summary>Checks that a folder really takes new files, by creating and removing one.</summary>
internal static class OutputFolder
{
    /// <summary>
    /// Creates and removes a hidden file in <paramref name="folder"/>. A real write is the only test that tells: for
    /// root, permission bits stop nothing, while read-only mounts, /proc and full disks still refuse.
    /// </summary>
    /// <exception cref="CheckpointException">The folder is missing or refuses the file.</exception>
    public static void EnsureWritable(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new CheckpointException($"the output folder '{folder}' does not exist");
        }

        string probe = Path.Combine(folder, $".seq2seq-write-test-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                stream.WriteByte(0);
                stream.Flush(flushToDisk: true);
            }

            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"the output folder '{folder}' cannot be written: {e.Message}", e);
        }
    }
}
