using Seq2Seq.Gpu.Distributed;
using Seq2Seq.Gpu.Tests.Cli;

namespace Seq2Seq.Gpu.Tests.Distributed;

/// <summary><c>train --distributed</c> where MPI cannot be had: one error line that says what to install, no crash, no output files.</summary>
[NonParallelizable] // it sets an environment variable of the process
public sealed class DistributedCliTests
{
    [Test]
    public void Without_the_MPI_library_distributed_training_is_one_error_line()
    {
        string directory = Directory.CreateTempSubdirectory("seq2seq-nompi-").FullName;
        string? before = Environment.GetEnvironmentVariable(MpiNative.LibraryVariable);
        try
        {
            string corpus = Path.Combine(directory, "pairs.txt");
            File.WriteAllLines(corpus, ["ab\tba", "abc\tcba"]);
            string missing = Path.Combine(directory, "no-such-libmpi.so");
            Environment.SetEnvironmentVariable(MpiNative.LibraryVariable, missing);
            var run = CliRun.Of("train", "--data", corpus, "--out", Path.Combine(directory, "m.s2s"), "--device", "cpu", "--distributed");
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.ErrorLines, Has.Count.EqualTo(1));
            Assert.That(run.ErrorLines[0], Does.StartWith("seq2seq: error: --distributed: the MPI library could not be loaded").And.Contain(missing).And.Contain("apt-get install openmpi-bin"));
            Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EqualTo(new[] { "pairs.txt" }), "nothing written, no lock left");
        }
        finally
        {
            Environment.SetEnvironmentVariable(MpiNative.LibraryVariable, before);
            Directory.Delete(directory, recursive: true);
        }
    }
}
