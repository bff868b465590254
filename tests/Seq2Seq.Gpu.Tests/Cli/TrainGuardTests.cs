using System.Globalization;
using System.Text;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// <c>seq2seq train</c> refuses, before it spends time or memory, what used to fail late or not at all: a second run
/// on the same output, an output folder it cannot write, an over-long sentence, a configuration the device's memory
/// cannot hold.
/// </summary>
public sealed class TrainGuardTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-guard-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void A_second_run_on_the_same_output_fails_at_once_and_names_the_first_process()
    {
        string corpus = WriteCorpus("pairs.txt", overLongLine: null);
        string model = Path.Combine(directory, "m.s2s");

        // The first run is a real second process (the CLI built next to the tests), trained long enough to still be
        // running when the in-process run starts; it is killed at the end.
        using var first = ChildCli.Start(Tiny("train", "--data", corpus, "--epochs", "100000", "--out", model));
        first.WaitForLine(l => l.StartsWith("training:", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "the first run's training line");

        var second = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--out", model));

        Assert.That(second.ExitCode, Is.Not.Zero, second.ToString());
        Assert.That(second.ErrorLines, Has.Count.EqualTo(1), second.ToString());
        Assert.That(second.Error, Does.Contain(Path.Combine(directory, "m.lock")));
        Assert.That(second.Error, Does.Contain($"pid {first.Id}").And.Contain(Environment.MachineName));
        Assert.That(second.Out, Does.Not.Contain("data:"), "failed before reading the corpus");
        first.KillHard();

        // The first process died holding the lock: a new run takes the stale lock over and says so.
        var third = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--out", model));
        Assert.That(third.ExitCode, Is.Zero, third.ToString());
        Assert.That(third.Out, Does.Contain($"stale lock").And.Contain($"pid {first.Id}"));
        Assert.That(File.Exists(Path.Combine(directory, "m.lock")), Is.False, "the lock is removed when the run ends");
    }

    [Test]
    public void An_output_folder_that_cannot_be_written_is_refused_before_training()
    {
        // Tests run as root, for whom permission bits stop nothing; /proc refuses to create files even for root, and
        // the folder exists, so only a real write test tells.
        var run = CliRun.Of(Tiny("train", "--data", WriteCorpus("pairs.txt", overLongLine: null), "--epochs", "1", "--out", "/proc/seq2seq-guard-test.s2s"));

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("'/proc'").And.Contain("cannot be written"));
        Assert.That(run.Out, Does.Not.Contain("epoch 1/"), "no epoch is trained into a folder that cannot take its files");
    }

    [Test]
    public void A_million_character_line_is_a_clear_error_before_any_memory_is_spent()
    {
        string corpus = WriteCorpus("long.txt", overLongLine: 7);
        long before = Environment.WorkingSet;

        var run = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--out", Path.Combine(directory, "m.s2s")));

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain($"{corpus}:7:").And.Contain("1,000,000").And.Contain("1,000"));
        Assert.That(run.Out, Does.Not.Contain("device:"), "stopped while reading, before a device was opened");
        Assert.That(Environment.WorkingSet - before, Is.LessThan(512L << 20), "bounded memory");
    }

    [Test]
    public void With_skip_bad_lines_an_over_long_pair_is_skipped_and_counted()
    {
        string corpus = WriteCorpus("long.txt", overLongLine: 7);

        var run = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--skip-bad-lines", "--out", Path.Combine(directory, "m.s2s")));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("1 bad lines skipped, first at line 7: ").And.Contain("1,000,000"));
    }

    [Test]
    public void A_limit_raised_past_what_memory_holds_fails_with_the_estimate_before_allocating()
    {
        // 64 pairs of 65,000 characters, batch 64, embedding 8,192: the encoder's embedded inputs alone are 136 GB, more
        // than any machine this runs on holds, so the estimate refuses it wherever the test runs. (A small hidden size
        // keeps the model's creation quick: its orthogonal initialisation grows with H cubed.)
        string corpus = Path.Combine(directory, "long.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 64).Select(i => $"{new string((char)('a' + (i % 5)), 65_000)}\tb"));

        var run = CliRun.Of(
            "train", "--data", corpus, "--epochs", "1", "--max-length", "65000", "--hidden", "8", "--embedding", "8192", "--batch", "64", "--val-split", "0",
            "--device", "cpu", "--out", Path.Combine(directory, "m.s2s"));

        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("needs").And.Contain("available").And.Contain("embedded inputs [T x B x E] = [65,000 x 64 x 8,192]"));
        Assert.That(run.Out, Does.Not.Contain("epoch 1/"));
    }

    [Test]
    public void A_max_length_that_no_checkpoint_could_hold_is_a_usage_error()
    {
        var run = CliRun.Of(Tiny("train", "--data", WriteCorpus("pairs.txt", overLongLine: null), "--max-length", "2000000", "--out", Path.Combine(directory, "m.s2s")));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("--max-length must be at most 65534"));
    }

    private static string[] Tiny(params string[] args) => [.. args, "--hidden", "8", "--embedding", "4", "--batch", "8", "--device", "cpu"];

    private string WriteCorpus(string name, int? overLongLine)
    {
        string path = Path.Combine(directory, name);
        var text = new StringBuilder();
        var random = new Random(3);
        for (int line = 1; line <= 20; line++)
        {
            if (line == overLongLine)
            {
                text.Append('a', 1_000_000).Append("\tb\n");
                continue;
            }

            string source = new(Enumerable.Range(0, random.Next(1, 6)).Select(_ => "abcdef"[random.Next(6)]).ToArray());
            text.Append(CultureInfo.InvariantCulture, $"{source}\t{new string(source.Reverse().ToArray())}\n");
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }
}
