using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

/// <summary>
/// The model file a training run writes is for inference (weights, vocabularies, config); the optimizer's state lives
/// only in the <c>.last</c> file; and loading for inference puts nothing but the weights on the device.
/// </summary>
public sealed class InferenceFileTests
{
    private string directory = string.Empty;
    private string best = string.Empty;
    private string last = string.Empty;

    [OneTimeSetUp]
    public void Train()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-inference-file-").FullName;
        best = Path.Combine(directory, "m.s2s");
        last = Trainer.LastCheckpointPath(best);
        var pairs = TinyTasks.Reverse(32, 4, 21);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var (train, validation) = new ParallelDataset(pairs, text).Split(0.25);
        using var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 4, 8), seed: 5);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 8, Optimizer = OptimizerKind.Adam, CheckpointPath = best });
        trainer.Fit(train, validation);
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void The_model_file_holds_weights_vocabularies_and_config_and_the_last_file_the_optimizer()
    {
        var model = SafeTensorsFile.Read(best);
        var training = SafeTensorsFile.Read(last);

        Assert.That(model.Tensors.Select(t => t.Name), Has.None.StartWith("optimizer."));
        Assert.That(model.Metadata.Keys, Is.EquivalentTo(new[] { "format", "format_version", "config", "source_vocab", "target_vocab", "special_tokens", "checksums" }));
        Assert.That(training.Tensors.Select(t => t.Name), Has.Some.StartWith("optimizer.m.").And.Some.StartWith("optimizer.v."));
        Assert.That(training.Metadata.Keys, Does.Contain("optimizer").And.Contain(TrainingCheckpoint.MetadataKey));
        Assert.That(new FileInfo(best).Length, Is.LessThan(new FileInfo(last).Length / 2), "Adam's two moments are not in the model file");
    }

    [Test]
    public void Loading_for_inference_allocates_the_weights_alone_even_from_a_training_checkpoint()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Simd);
        long before = device.AllocatedBytes;
        var loaded = ModelCheckpoint.Load(device, last, CheckpointLoadOptions.Inference);
        using var model = loaded.Model;
        long weights = model.Weights.Layout.TotalCount * sizeof(float);

        Assert.That(device.AllocatedBytes - before, Is.EqualTo(weights), "nothing but the weights");
        Assert.That(loaded.Optimizer, Is.Null);
        Assert.That(model.Weights.OptimizerSlotCount, Is.Zero);
        Assert.That(model.Weights.HasGradients, Is.False);

        using var translator = model.CreateTranslator();
        translator.Translate("abc");
        Assert.That(model.Weights.OptimizerSlotCount, Is.Zero, "translating allocates no optimizer state");
        Assert.That(model.Weights.HasGradients, Is.False, "nor gradients");
    }

    [Test]
    public void The_default_load_of_the_last_file_brings_the_optimizer_state_for_resuming()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Simd);
        long before = device.AllocatedBytes;
        var loaded = ModelCheckpoint.Load(device, last);
        using var model = loaded.Model;

        Assert.That(loaded.Optimizer!.Name, Is.EqualTo("adam"));
        Assert.That(model.Weights.OptimizerSlotCount, Is.EqualTo(2));
        Assert.That(device.AllocatedBytes - before, Is.EqualTo(3L * model.Weights.Layout.TotalCount * sizeof(float)), "weights and two moments");
    }
}
