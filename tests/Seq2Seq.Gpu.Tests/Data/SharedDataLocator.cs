using System.IO.Compression;
using NUnit.Framework;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Tests.Data;

/// <summary>
/// Finds the project's shared data folder (<c>shared/data/fra-eng</c>): from the environment variable
/// <c>SEQ2SEQ_SHARED_DIR</c> (the <c>shared</c> folder itself), else by walking up from the test's directory
/// to a folder that has a <c>shared/data/fra-eng</c> child (the repository's sibling <c>../shared</c>).
/// Tests that need it are ignored, not failed, where it is absent.
/// </summary>
internal static class SharedDataLocator
{
    private const string Relative = "data/fra-eng";

    public static string? FindFraEngDirectory()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("SEQ2SEQ_SHARED_DIR");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, Relative)))
        {
            return Path.GetFullPath(Path.Combine(fromEnv, Relative));
        }

        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", Relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The path of a file in the fra-eng folder, or an ignored test when it is not there.</summary>
    public static string RequireFile(string name)
    {
        string? dir = FindFraEngDirectory();
        string? path = dir is null ? null : Path.Combine(dir, name);
        if (path is null || !File.Exists(path))
        {
            Assert.Ignore($"Shared data file '{name}' not found (looked for shared/{Relative} above the test directory and in SEQ2SEQ_SHARED_DIR).");
        }

        return path!;
    }

    /// <summary>Reads the first <paramref name="maxPairs"/> pairs of fra.txt straight from the release zip.</summary>
    public static CorpusReadResult ReadFraTxt(int maxPairs)
    {
        string zipPath = RequireFile("fra-eng-2017-09-29.zip");
        using ZipArchive zip = ZipFile.OpenRead(zipPath);
        ZipArchiveEntry entry = zip.GetEntry("fra.txt") ?? throw new InvalidOperationException("fra.txt is not in the zip.");
        using Stream stream = entry.Open();
        return CorpusReader.Read(stream, "fra.txt", new CorpusReadOptions { MaxPairs = maxPairs });
    }
}
