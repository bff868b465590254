using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.IO;

namespace Seq2Seq.Gpu.Tests.IO;

public sealed class OutputLockTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-lock-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void A_second_acquisition_fails_naming_the_holder_until_the_first_is_released()
    {
        string model = Path.Combine(directory, "m.s2s");
        using (var first = OutputLock.Acquire(model, "first run"))
        {
            Assert.That(first.LockPath, Is.EqualTo(Path.Combine(directory, "m.lock")));
            Assert.That(first.TakenOverFrom, Is.Null);

            // Another extension of the same name shares the lock: it shares the metrics and curves files too.
            var error = Assert.Throws<OutputLockedException>(() => OutputLock.Acquire(Path.Combine(directory, "m.bin"), "second run"))!;
            Assert.That(error.Owner, Is.EqualTo(first.Owner));
            Assert.That(error.Message, Does.Contain($"pid {Environment.ProcessId} on {Environment.MachineName}").And.Contain("first run").And.Contain(first.LockPath));
        }

        Assert.That(File.Exists(Path.Combine(directory, "m.lock")), Is.False);
        using var again = OutputLock.Acquire(model);
        Assert.That(again.TakenOverFrom, Is.Null);
    }

    [Test]
    public void A_lock_file_whose_process_is_gone_is_taken_over_and_reported()
    {
        // What a killed run leaves: its lock file, with no OS lock on it any more.
        var dead = new OutputLockOwner(999_999, "elsewhere", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "seq2seq train --out m.s2s");
        File.WriteAllText(Path.Combine(directory, "m.lock"), dead.Format("old-token"));

        using var taken = OutputLock.Acquire(Path.Combine(directory, "m.s2s"));

        Assert.That(taken.TakenOverFrom, Is.EqualTo(dead));
        Assert.That(File.ReadAllText(taken.LockPath), Does.Contain($"pid: {Environment.ProcessId}"));
    }

    [Test]
    public void A_folder_that_refuses_files_is_an_error_naming_it()
    {
        // As root, permission bits stop nothing; /proc exists and refuses new files even for root.
        var error = Assert.Throws<CheckpointException>(() => OutputLock.Acquire("/proc/seq2seq-lock-test.s2s"))!;
        Assert.That(error.Message, Does.Contain("'/proc'").And.Contain("cannot be written"));

        // A path under a regular file: the folder does not exist (and cannot).
        string file = Path.Combine(directory, "file");
        File.WriteAllText(file, "x");
        Assert.That(() => OutputLock.Acquire(Path.Combine(file, "m.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains(file));
    }
}
