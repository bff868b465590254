using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Tests.Cli;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Distributed;

/// <summary>
/// <c>seq2seq train --distributed</c> under <c>mpirun -np 2</c> on a tiny copy-reversal task, against the same run in
/// one process: 2 ranks × 32 pairs must give the weights and optimizer state of 1 process × 64 pairs, in both loss
/// modes and with clipping, and rank 0's checkpoint must resume in a single process and on two ranks. Skipped (with the
/// reason) where Open MPI is not installed.
/// </summary>
/// <remarks>
/// Tolerance: |distributed − single| ≤ 1e-5 + 1e-4·|single| per element. The two runs add the same float terms in
/// another order (two half-batch gradient sums, then the all-reduce; each rank's products partitioned for its own
/// batch), which moves each gradient by a few float rounding steps (about 1e-7 relative); RMSprop's normalised update
/// can enlarge that for a gradient near zero, so the bound is two orders of magnitude above the largest difference
/// measured here (1e-7 after 6 steps). A wrong shard, a missing or doubled all-reduce, or another update would move
/// weights by about the learning rate (1e-3).
/// </remarks>
[Platform("Linux")]
public sealed class MpiTrainingTests
{
    private const double Atol = 1e-5;
    private const double Rtol = 1e-4;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);

    private string directory = string.Empty;
    private string corpus = string.Empty;

    [SetUp]
    public void CreateCorpus()
    {
        MpiJob.RequireMpirun();
        directory = Directory.CreateTempSubdirectory("seq2seq-mpi-").FullName;
        corpus = Path.Combine(directory, "reverse.txt");

        // 194 pairs, a quarter held out: 145 train, so each epoch has batches of 64, 64 and 17 (split 9 + 8).
        File.WriteAllLines(corpus, TinyTasks.Reverse(194, 6, 16, "abcdefgh").Select(p => $"{p.Source}\t{p.Target}"));
    }

    [TearDown]
    public void DeleteDirectory()
    {
        if (directory.Length > 0)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestCase(false, TestName = "Two ranks of 32 pairs train as one process of 64 (masked loss, clipped)")]
    [TestCase(true, TestName = "Two ranks of 32 pairs train as one process of 64 (Keras-compatible loss, clipped)")]
    public void Two_ranks_train_as_one_process(bool kerasCompat)
    {
        string single = Path.Combine(directory, "single.s2s");
        string ranks = Path.Combine(directory, "ranks.s2s");
        var one = CliRun.Of([.. Train(epochs: 2, kerasCompat), "--out", single]);
        Assert.That(one.ExitCode, Is.Zero, one.ToString());
        var job = MpiJob.Run(2, JobTimeout, [.. Train(epochs: 2, kerasCompat), "--out", ranks, "--distributed"]);
        Assert.That(job.ExitCode, Is.Zero, job.ToString());
        Assert.That(job.Out, Does.Contain("distributed: MPI (Open MPI").And.Contain("2 ranks").And.Contain("each rank takes 32 of every batch's 64 pairs"));
        Assert.That(job.Out.Split('\n').Count(l => l.StartsWith("done: ", StringComparison.Ordinal)), Is.EqualTo(1), "rank 0 alone reports");

        AssertSameTensors(Trainer.LastCheckpointPath(ranks), Trainer.LastCheckpointPath(single));
        AssertSameMetrics(Trainer.MetricsPath(ranks), Trainer.MetricsPath(single));
        Assert.That(Directory.GetFiles(directory, "ranks*").Select(Path.GetFileName), Is.EquivalentTo(new[] { "ranks.s2s", "ranks.last.s2s", "ranks.metrics.csv", "ranks.curves.svg" }), "rank 0 wrote the files once, and released its lock");
    }

    [Test]
    public void Rank_zeros_checkpoint_resumes_in_a_single_process_and_on_two_ranks()
    {
        string ranks = Path.Combine(directory, "ranks.s2s");
        string single = Path.Combine(directory, "single.s2s");
        var job = MpiJob.Run(2, JobTimeout, [.. Train(epochs: 2), "--out", ranks, "--distributed"]);
        Assert.That(job.ExitCode, Is.Zero, job.ToString());
        var one = CliRun.Of([.. Train(epochs: 2), "--out", single]);
        Assert.That(one.ExitCode, Is.Zero, one.ToString());

        // Both continue for a third epoch in one process; the resumed run must not see where its checkpoint came from.
        string fromRanks = Path.Combine(directory, "from-ranks.s2s");
        string fromSingle = Path.Combine(directory, "from-single.s2s");
        var resumed = CliRun.Of([.. Resume(Trainer.LastCheckpointPath(ranks)), "--out", fromRanks]);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That(resumed.Out, Does.Contain("2 epochs done"));
        var reference = CliRun.Of([.. Resume(Trainer.LastCheckpointPath(single)), "--out", fromSingle]);
        Assert.That(reference.ExitCode, Is.Zero, reference.ToString());

        Assert.That(MetricsLog.Read(Trainer.MetricsPath(fromRanks)).Select(e => e.Epoch), Is.EqualTo(new[] { 1, 2, 3 }));
        AssertSameTensors(Trainer.LastCheckpointPath(fromRanks), Trainer.LastCheckpointPath(fromSingle));

        // And on two ranks again: both load the checkpoint, rank 0's weights and optimizer state are broadcast.
        string again = Path.Combine(directory, "again.s2s");
        var rerun = MpiJob.Run(2, JobTimeout, [.. Resume(Trainer.LastCheckpointPath(ranks)), "--out", again, "--distributed"]);
        Assert.That(rerun.ExitCode, Is.Zero, rerun.ToString());
        AssertSameTensors(Trainer.LastCheckpointPath(again), Trainer.LastCheckpointPath(fromSingle));
    }

    [Test]
    public void A_rank_that_reads_other_data_ends_the_job_with_one_clear_line_and_writes_nothing()
    {
        // Rank 1 reads the corpus less its last 8 pairs: it must stop the job before the first step, and rank 0 with it.
        string shorter = Path.Combine(directory, "shorter.txt");
        File.WriteAllLines(shorter, File.ReadAllLines(corpus).SkipLast(8));
        string output = Path.Combine(directory, "ranks.s2s");
        string[] Args(string data) => [.. Train(epochs: 2, data: data), "--out", output, "--distributed"];
        var job = MpiJob.RunEach(JobTimeout, Args(corpus), Args(shorter));

        Assert.That(job.ExitCode, Is.EqualTo(1), job.ToString());
        Assert.That(job.Error, Does.Contain("seq2seq: error: rank 1 of 2: rank 1 differs from rank 0 in training pairs (139 against 145)"), job.ToString());
        Assert.That(Directory.GetFiles(directory, "ranks*").Select(Path.GetFileName), Is.SubsetOf(new[] { "ranks.lock" }), "no model, checkpoint or metrics (at most rank 0's lock, which the next run takes over)");
    }

    private static void AssertSameTensors(string actualPath, string expectedPath)
    {
        var actual = SafeTensorsFile.Read(actualPath);
        var expected = SafeTensorsFile.Read(expectedPath);
        Assert.That(actual.Tensors.Select(t => t.Name), Is.EquivalentTo(expected.Tensors.Select(t => t.Name)));
        Assert.That(expected.Tensors.Select(t => t.Name), Has.Some.StartsWith("optimizer."), "the optimizer state is compared too");
        double worst = double.NegativeInfinity, largest = 0;
        string where = string.Empty;
        foreach (var tensor in expected.Tensors.Where(t => t.DType == SafeTensorsDType.F32))
        {
            float[] e = expected.GetFloat32(tensor.Name, tensor.Shape);
            float[] a = actual.GetFloat32(tensor.Name, tensor.Shape);
            for (int i = 0; i < e.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(a[i] - e[i]));
                double excess = Math.Abs(a[i] - e[i]) - (Atol + (Rtol * Math.Abs(e[i])));
                if (excess > worst)
                {
                    (worst, where) = (excess, $"{tensor.Name}[{i}]: {a[i]:R} against {e[i]:R}");
                }
            }
        }

        TestContext.Out.WriteLine($"largest difference {largest:G3}; closest to the tolerance: {where}");
        Assert.That(worst, Is.LessThanOrEqualTo(0), $"beyond |d| <= {Atol} + {Rtol}·|x| at {where}");
    }

    private static void AssertSameMetrics(string actualPath, string expectedPath)
    {
        var actual = MetricsLog.Read(actualPath);
        var expected = MetricsLog.Read(expectedPath);
        Assert.That(actual.Select(e => e.Epoch), Is.EqualTo(expected.Select(e => e.Epoch)));
        for (int i = 0; i < expected.Count; i++)
        {
            // Summed over the ranks' shards: the losses and accuracies of the whole batches and of the validation split.
            Assert.That(actual[i].TrainLoss, Is.EqualTo(expected[i].TrainLoss).Within(1e-5), $"epoch {i + 1} loss");
            Assert.That(actual[i].TrainAccuracy, Is.EqualTo(expected[i].TrainAccuracy).Within(1e-6), $"epoch {i + 1} accuracy");
            Assert.That(actual[i].ValidationLoss!.Value, Is.EqualTo(expected[i].ValidationLoss!.Value).Within(1e-5), $"epoch {i + 1} val_loss");
            Assert.That(actual[i].ValidationAccuracy!.Value, Is.EqualTo(expected[i].ValidationAccuracy!.Value).Within(1e-6), $"epoch {i + 1} val_acc");
        }
    }

    private string[] Train(int epochs, bool kerasCompat = false, string? data = null) =>
    [
        "train", "--data", data ?? corpus, "--hidden", "16", "--batch", "64", "--epochs", $"{epochs}", "--val-split", "0.25", "--clip", "0.2",
        "--device", "cpu", .. kerasCompat ? (string[])["--keras-compat"] : ["--embedding", "8"],
    ];

    private string[] Resume(string checkpoint) =>
        ["train", "--data", corpus, "--batch", "64", "--epochs", "3", "--val-split", "0.25", "--clip", "0.2", "--device", "cpu", "--resume", checkpoint];
}
