using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Tests.Cli;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Reliability;

/// <summary>
/// <c>seq2seq train</c> in a child process killed with SIGKILL (no handler, no finally block runs) during an epoch and
/// during a checkpoint write. Afterwards every file under its final name must load whole (checksums verified), the
/// stale lock is taken over, <c>--resume</c> continues from the last completed epoch to the same weights as a run
/// that was never interrupted, and the next write removes the interrupted write's temporary file.
/// </summary>
[Platform("Linux")]
public sealed class FaultInjectionTests
{
    private string directory = string.Empty;
    private string corpus = string.Empty;

    [SetUp]
    public void CreateCorpus()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-faults-").FullName;
        corpus = Path.Combine(directory, "reverse.txt");
        var random = new Random(11);
        File.WriteAllLines(corpus, Enumerable.Range(0, 400).Select(_ =>
        {
            string source = new(Enumerable.Range(0, random.Next(2, 9)).Select(_ => "abcdefgh"[random.Next(8)]).ToArray());
            return $"{source}\t{new string(source.Reverse().ToArray())}";
        }));
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Killed_during_an_epoch_the_run_resumes_to_the_uninterrupted_weights()
    {
        const int epochs = 5;
        string killed = Path.Combine(directory, "killed.s2s");
        using (var child = ChildCli.Start(Train(killed, epochs)))
        {
            child.WaitForLine(l => l.StartsWith("epoch 1/", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "the first epoch's line");
            Assert.That(child.KillHard(), Is.EqualTo(128 + 9), "killed by SIGKILL");
        }

        // Whatever the kill interrupted, the files under their final names are whole.
        var last = ModelCheckpoint.Load(TestDevices.Cpu(), Trainer.LastCheckpointPath(killed));
        int done = TrainingCheckpoint.StateOf(last)!.EpochsCompleted;
        last.Model.Dispose();
        TestContext.Out.WriteLine($"killed after {done} of {epochs} epochs");
        Assert.That(done, Is.InRange(1, epochs - 1), "the kill landed after the first epoch and before the last");
        ModelCheckpoint.Load(TestDevices.Cpu(), killed).Model.Dispose();
        Assert.That(MetricsLog.Read(Trainer.MetricsPath(killed)).Select(e => e.Epoch), Is.EqualTo(Enumerable.Range(1, done)).Or.EqualTo(Enumerable.Range(1, done - 1)));

        string resumed = Path.Combine(directory, "resumed.s2s");
        var resume = CliRun.Of(["train", "--data", corpus, "--epochs", $"{epochs}", "--batch", "8", "--device", "cpu", "--resume", Trainer.LastCheckpointPath(killed), "--out", resumed]);
        Assert.That(resume.ExitCode, Is.Zero, resume.ToString());

        string straight = Path.Combine(directory, "straight.s2s");
        var uninterrupted = CliRun.Of(Train(straight, epochs));
        Assert.That(uninterrupted.ExitCode, Is.Zero, uninterrupted.ToString());

        AssertSameTrainingState(Trainer.LastCheckpointPath(resumed), Trainer.LastCheckpointPath(straight));
        Assert.That(MetricsLog.Read(Trainer.MetricsPath(resumed)).Select(e => e.Epoch), Is.EqualTo(Enumerable.Range(1, epochs)));
    }

    [Test]
    public void Killed_during_a_checkpoint_write_the_previous_checkpoint_stays_whole_and_resumes()
    {
        // A wider model makes a checkpoint of a few MB, so each write (with its flush to disk) takes a while. When the
        // write's temporary file appears the child is frozen; if the file is still there, the child is frozen between
        // creating it and renaming it over the final name, and SIGKILL then lands inside the write. Otherwise the
        // child is thawed and the next write is tried (there are two a epoch).
        const int epochs = 40;
        string output = Path.Combine(directory, "m.s2s");
        string? caught = null;
        using (var child = ChildCli.Start(Train(output, epochs, hidden: 192, pairs: 24)))
        {
            child.WaitForLine(l => l.StartsWith("epoch 1/", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "the first epoch's line");
            using var watcher = new FileSystemWatcher(directory) { Filter = "*.tmp", NotifyFilter = NotifyFilters.FileName };
            var created = new System.Collections.Concurrent.BlockingCollection<string>();
            watcher.Created += (_, e) => created.Add(e.FullPath);
            watcher.EnableRaisingEvents = true;
            while (caught is null && created.TryTake(out string? temp, TimeSpan.FromMinutes(1)))
            {
                if (!Path.GetFileName(temp).Contains(".s2s.", StringComparison.Ordinal))
                {
                    continue; // the metrics and curves files are written the same way, but they are small
                }

                child.Freeze();
                if (File.Exists(temp))
                {
                    caught = temp;
                    Assert.That(child.KillHard(), Is.EqualTo(128 + 9), "killed by SIGKILL");
                }
                else
                {
                    child.Thaw();
                }
            }

            Assert.That(caught, Is.Not.Null, $"no checkpoint write was caught in progress in {epochs} epochs\n{child}");
        }

        // The interrupted write left its temporary file; the final names hold the previous epoch's whole files.
        Assert.That(File.Exists(caught), Is.True);
        var last = ModelCheckpoint.Load(TestDevices.Cpu(), Trainer.LastCheckpointPath(output));
        int done = TrainingCheckpoint.StateOf(last)!.EpochsCompleted;
        last.Model.Dispose();
        TestContext.Out.WriteLine($"killed writing {Path.GetFileName(caught)} ({new FileInfo(caught).Length:N0} bytes written) after {done} epochs");
        Assert.That(done, Is.InRange(1, epochs - 1));
        ModelCheckpoint.Load(TestDevices.Cpu(), output).Model.Dispose();

        // The writer removes a target's temporary files that are over a minute old and held by no one (younger ones
        // may be a racing writer's, just created): age this one as if the killed run had been a while ago.
        File.SetLastWriteTimeUtc(caught, DateTime.UtcNow.AddMinutes(-2));
        var resume = CliRun.Of(["train", "--data", corpus, "--samples", "24", "--epochs", $"{done + 1}", "--batch", "8", "--device", "cpu", "--resume", Trainer.LastCheckpointPath(output), "--out", output]);
        Assert.That(resume.ExitCode, Is.Zero, resume.ToString());
        Assert.That(resume.Out, Does.Contain($"epoch {done + 1}/{done + 1}"));
        Assert.That(resume.Out, Does.Contain("note: took over the stale lock"), "the killed run's lock file was left, its OS lock gone");
        var resumed = ModelCheckpoint.Load(TestDevices.Cpu(), Trainer.LastCheckpointPath(output));
        Assert.That(TrainingCheckpoint.StateOf(resumed)!.EpochsCompleted, Is.EqualTo(done + 1));
        resumed.Model.Dispose();
        Assert.That(Directory.GetFiles(directory, "*.tmp"), Is.Empty, "the interrupted write's temporary file was removed by the next write");
    }

    private static void AssertSameTrainingState(string actualPath, string expectedPath)
    {
        var actual = ModelCheckpoint.Load(TestDevices.Cpu(), actualPath);
        var expected = ModelCheckpoint.Load(TestDevices.Cpu(), expectedPath);
        using (actual.Model)
        using (expected.Model)
        {
            Assert.That(TrainingCheckpoint.StateOf(actual)!.EpochsCompleted, Is.EqualTo(TrainingCheckpoint.StateOf(expected)!.EpochsCompleted));
            Assert.That(actual.Optimizer!.Steps, Is.EqualTo(expected.Optimizer!.Steps));
            Assert.That(actual.Model.Weights.Weights.ToArray(), Is.EqualTo(expected.Model.Weights.Weights.ToArray()), "weights");
            Assert.That(actual.Model.Weights.OptimizerState(0).ToArray(), Is.EqualTo(expected.Model.Weights.OptimizerState(0).ToArray()), "optimizer state");
        }
    }

    private string[] Train(string output, int epochs, int hidden = 32, int pairs = 400) =>
        ["train", "--data", corpus, "--samples", $"{pairs}", "--epochs", $"{epochs}", "--hidden", $"{hidden}", "--embedding", "8", "--batch", "8", "--seed", "3", "--device", "cpu", "--out", output];
}
