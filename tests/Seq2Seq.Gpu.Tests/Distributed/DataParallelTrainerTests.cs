using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Distributed;

/// <summary>
/// The trainer as two ranks of a data-parallel job on two threads (<see cref="ThreadRanks"/>, no MPI), against one
/// trainer with the whole batches: the same global gradient norm at the last step (so each rank divided its loss by the
/// whole batch's count, in both loss modes), the same weights, the same validation figures; rank 1 starts from other
/// weights and must take rank 0's. RMSprop and clipping hide a gradient that is off by a constant factor; the norm
/// does not.
/// </summary>
public sealed class DataParallelTrainerTests
{
    [TestCase(VocabularyScheme.Standard)]
    [TestCase(VocabularyScheme.KerasCompatible)]
    public void Two_ranks_on_threads_compute_the_single_process_steps(VocabularyScheme scheme)
    {
        // 145 training pairs: batches of 64, 64 and 17 (9 + 8 on the ranks), two epochs.
        var pairs = TinyTasks.Reverse(194, 6, 16);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var (train, validation) = new ParallelDataset(pairs, text).Split(0.25);
        var config = Seq2SeqConfig.ForText(text, 8, 16);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 64, ClipNorm = 0.2f, Seed = 3 };

        using var single = Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: 5);
        using var singleTrainer = new Trainer(single, options);
        var expected = singleTrainer.Fit(train, validation);

        using var job = new ThreadRanks(2);
        using var secondDevice = ComputeDevice.Open(DeviceKind.Cpu);
        var devices = new[] { TestDevices.Cpu(), secondDevice };
        var results = new (double Norm, float[] Weights, double? ValidationLoss)[2];
        var ranks = Enumerable.Range(0, 2).Select(rank => Task.Run(() =>
        {
            using var model = Seq2SeqModel.Create(devices[rank], text, config, seed: rank == 0 ? 5 : 6);
            using var trainer = new Trainer(model, options, communicator: job.Ranks[rank]);
            var report = trainer.Fit(train, validation);
            results[rank] = (trainer.LastGradientNorm, model.Weights.Weights.ToArray(), report.History[^1].ValidationLoss);
        })).ToArray();
        Assert.That(Task.WhenAll(ranks).Wait(TimeSpan.FromMinutes(2)), Is.True, "both ranks finished");

        Assert.That(job.BufferReductions, Is.EqualTo(6), "one gradient all-reduce a step: 3 batches × 2 epochs");
        Assert.That(singleTrainer.LastGradientNorm, Is.GreaterThan(options.ClipNorm), "the last step was clipped");
        float[] weights = single.Weights.Weights.ToArray();
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(results[rank].Norm, Is.EqualTo(singleTrainer.LastGradientNorm).Within(1e-5).Percent, $"rank {rank}'s global gradient norm");
            Assert.That(results[rank].Weights, Is.EqualTo(weights).Within(1e-5), $"rank {rank}'s weights");
            Assert.That(results[rank].ValidationLoss, Is.EqualTo(expected.History[^1].ValidationLoss!.Value).Within(1e-6), $"rank {rank}'s val_loss");
        }
    }
}
