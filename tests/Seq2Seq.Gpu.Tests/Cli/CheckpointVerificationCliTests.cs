using System.Buffers.Binary;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// The commands that load a checkpoint (translate, eval, train --resume) refuse a damaged one, load it with
/// <c>--no-verify</c>, and show the library's integrity note on standard error, as they do for a file without checksums.
/// </summary>
public sealed class CheckpointVerificationCliTests
{
    private string directory = string.Empty;
    private string corpus = string.Empty;
    private string damaged = string.Empty;
    private string old = string.Empty;

    [OneTimeSetUp]
    public void WriteFiles()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-verify-cli-").FullName;
        corpus = Path.Combine(directory, "pairs.txt");
        File.WriteAllLines(corpus, ["abc\tcba", "ba\tab", "cab\tbac", "a\ta"]);
        var pairs = CorpusReader.Read(corpus).Pairs;
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 4, 8), seed: 5);
        model.Weights.EnsureOptimizerSlots(1);
        string good = Path.Combine(directory, "good.s2s");
        TrainingCheckpoint.Save(good, model, Optimizer.Create("rmsprop", 1e-3f), new TrainingState(1, null, 0, 0, 1, []));

        // Damage: the last byte of the file is the low byte of the last tensor's last element (still finite).
        byte[] bytes = File.ReadAllBytes(good);
        bytes[^4] ^= 1;
        damaged = Path.Combine(directory, "damaged.s2s");
        File.WriteAllBytes(damaged, bytes);

        // A file from before checksums: the same checkpoint without the entry.
        var file = SafeTensorsFile.Read(good);
        old = Path.Combine(directory, "old.s2s");
        SafeTensorsFile.Write(old, file.Metadata.Where(e => e.Key != "checksums").ToDictionary(), file.Tensors);
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(old)), Is.LessThan(BinaryPrimitives.ReadUInt64LittleEndian(bytes)));
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Translate_refuses_a_damaged_model_and_loads_it_with_no_verify_and_a_note()
    {
        var refused = CliRun.Of("translate", "--model", damaged, "--device", "cpu", "abc");
        var rescued = CliRun.Of("translate", "--model", damaged, "--device", "cpu", "--no-verify", "abc");

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Error, Does.Contain("damaged.s2s").And.Contain("corrupt"));
        Assert.That(rescued.ExitCode, Is.Zero, rescued.ToString());
        Assert.That(rescued.ErrorLines, Is.EqualTo(new[] { $"seq2seq: note: checkpoint '{damaged}' was loaded without verifying its checksums" }));
        Assert.That(rescued.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
    }

    [Test]
    public void Translate_loads_a_file_without_checksums_with_a_note()
    {
        var run = CliRun.Of("translate", "--model", old, "--device", "cpu", "abc");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1));
        Assert.That(run.ErrorLines[0], Does.StartWith("seq2seq: note: ").And.Contain("old.s2s").And.Contain("no checksums"));
    }

    [Test]
    public void Eval_refuses_a_damaged_model_unless_no_verify()
    {
        var refused = CliRun.Of("eval", "--model", damaged, "--data", corpus, "--device", "cpu", "--no-decode", "--json");
        var rescued = CliRun.Of("eval", "--model", damaged, "--data", corpus, "--device", "cpu", "--no-decode", "--json", "--no-verify");

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Error, Does.Contain("corrupt"));
        Assert.That(rescued.ExitCode, Is.Zero, rescued.ToString());
        Assert.That(rescued.Error, Does.StartWith("seq2seq: note: "));
        Assert.That(rescued.Out, Does.StartWith("{"), "--json output stays one object on standard output");
    }

    [Test]
    public void Train_resume_refuses_a_damaged_checkpoint_unless_no_verify()
    {
        string[] Args(string name, params string[] more) =>
            ["train", "--data", corpus, "--resume", damaged, "--epochs", "2", "--batch", "2", "--val-split", "0", "--device", "cpu", "--out", Path.Combine(directory, name), .. more];

        var refused = CliRun.Of(Args("r1.s2s"));
        var rescued = CliRun.Of(Args("r2.s2s", "--no-verify"));
        var notResuming = CliRun.Of("train", "--data", corpus, "--epochs", "1", "--device", "cpu", "--out", Path.Combine(directory, "r3.s2s"), "--no-verify");

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Error, Does.Contain("corrupt"));
        Assert.That(rescued.ExitCode, Is.Zero, rescued.ToString());
        Assert.That(rescued.Error, Does.StartWith("seq2seq: note: "));
        Assert.That(notResuming.ExitCode, Is.EqualTo(2), notResuming.ToString());
        Assert.That(notResuming.Error, Does.Contain("--no-verify"));
    }
}
