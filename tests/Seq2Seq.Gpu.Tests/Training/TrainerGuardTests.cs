using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.IO;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Training;

/// <summary>What <see cref="Trainer.Fit"/> checks before its first batch: the output lock and folder, and memory.</summary>
public sealed class TrainerGuardTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-trainer-guard-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Fit_takes_the_output_lock_itself_and_refuses_an_output_held_by_another_run()
    {
        var (train, validation) = Data(16, 4);
        using var model = NewModel(TestDevices.Cpu(), train, hidden: 8);
        string path = Path.Combine(directory, "m.s2s");
        var options = new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = path };

        using (OutputLock.Acquire(path, "another run"))
        using (var trainer = new Trainer(model, options))
        {
            var error = Assert.Throws<OutputLockedException>(() => trainer.Fit(train, validation))!;
            Assert.That(error.Message, Does.Contain("another run"));
            Assert.That(trainer.State.EpochsCompleted, Is.Zero);
        }

        using (var held = OutputLock.Acquire(path))
        using (var trainer = new Trainer(model, options, outputLock: held))
        {
            trainer.Fit(train, validation);
            Assert.That(File.Exists(held.LockPath), Is.True, "a caller's lock is the caller's to release");
        }

        Assert.That(File.Exists(OutputLock.LockPathFor(path)), Is.False);
    }

    [Test]
    public void Fit_refuses_an_output_folder_that_cannot_be_written_before_the_first_batch()
    {
        var (train, _) = Data(16, 4);
        using var model = NewModel(TestDevices.Cpu(), train, hidden: 8);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = "/proc/seq2seq-trainer-guard.s2s" });
        var batches = new Progress<TrainingProgress>(_ => Assert.Fail("a batch was trained"));

        Assert.That(() => trainer.Fit(train, null, batches), Throws.TypeOf<CheckpointException>().With.Message.Contains("'/proc'"));
    }

    [TestCase(4, 8, 1, CellKind.Lstm)]
    [TestCase(0, 16, 2, CellKind.Lstm)]
    [TestCase(0, 16, 2, CellKind.Gru)]
    [TestCase(4, 8, 1, CellKind.Lstm, AttentionKind.General)]
    [TestCase(0, 16, 2, CellKind.Gru, AttentionKind.Dot, true)]
    public void The_training_estimate_matches_what_the_device_allocates(int embedding, int hidden, int layers, CellKind cell, AttentionKind attention = AttentionKind.None, bool bidirectional = false)
    {
        // A device of its own, so that its allocation statistics are this model's alone.
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        var (train, validation) = Data(24, 6);
        using var model = NewModel(device, train, hidden, embedding, layers, cell, attention, bidirectional);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 1, BatchSize = 8, Optimizer = OptimizerKind.Adam });
        var estimate = trainer.EstimateMemory(train, validation);

        // The device's own kernels keep a few kilobytes of scratch (reduction partials), made on first use and shared by
        // all work: made here, so that what training adds is what is measured.
        Assert.That(device.Ops.Backend, Is.Not.Null);
        long before = device.AllocatedBytes;
        trainer.Fit(train, validation);
        long used = device.PeakAllocatedBytes - before;

        // Stated factor: within 10 % of what the device's statistics report (exact today; the margin is for rounding).
        Assert.That(estimate.NewBytes, Is.InRange(used * 0.9, used * 1.1), $"estimate {estimate.NewBytes:N0}, allocated {used:N0}");
        Assert.That(estimate.TotalBytes - estimate.NewBytes, Is.EqualTo(model.Weights.Weights.Bytes), "only the parameters existed");
    }

    [Test]
    public void Training_too_large_for_memory_fails_with_the_largest_buffers_before_allocating_them()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        // 64 pairs of 200,000 characters with H 256: the gates alone take 52 GB, the activations over 100 GB.
        string longText = new('a', 200_000);
        var pairs = Enumerable.Range(0, 64).Select(i => new SentencePair(longText, "b" + (i % 3))).ToList();
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var data = new ParallelDataset(pairs, text);
        using var model = Seq2SeqModel.Create(device, text, Seq2SeqConfig.ForText(text, 0, 256, 1), seed: 1);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 1, BatchSize = 64 });
        var estimate = trainer.EstimateMemory(data);
        Assume.That(estimate.NewBytes, Is.GreaterThan(device.AvailableMemoryBytes), "this machine could hold it");
        long before = device.AllocatedBytes;

        var error = Assert.Throws<DeviceException>(() => trainer.Fit(data))!;

        Assert.That(error.Message, Does.Contain("encoder layer 0 gates [T x B x 4H] = [200,000 x 64 x 1,024]"));
        Assert.That(device.PeakAllocatedBytes, Is.EqualTo(before), "nothing more was allocated");
    }

    private static (ParallelDataset Train, ParallelDataset Validation) Data(int count, int maxLength)
    {
        var pairs = TinyTasks.Reverse(count, maxLength, 21);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        return new ParallelDataset(pairs, text).Split(0.25);
    }

    private static Seq2SeqModel NewModel(
        ComputeDevice device, ParallelDataset train, int hidden, int embedding = 4, int layers = 1, CellKind cell = CellKind.Lstm, AttentionKind attention = AttentionKind.None, bool bidirectional = false) =>
        Seq2SeqModel.Create(device, train.Encoder, Seq2SeqConfig.ForText(train.Encoder, embedding, hidden, layers, cell, bidirectional, attention), seed: 5);
}
