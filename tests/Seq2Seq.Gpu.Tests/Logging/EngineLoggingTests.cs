using Microsoft.Extensions.Logging;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Cli;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Logging;

/// <summary>
/// What the engine logs through the <see cref="ILogger"/> of its options (device choice and fallbacks, epochs,
/// checkpoint writes, divergence), and the command line's <c>--verbose</c>, which routes that log to standard error.
/// </summary>
public sealed class EngineLoggingTests
{
    private const int DeviceOpened = 1, CudaNotUsed = 2, CuBlasFallback = 4, EpochFinished = 10, CheckpointWritten = 11, TrainingDiverged = 12;
    private string directory = string.Empty;

    [OneTimeSetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-logging-").FullName;

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Opening_a_device_logs_which_one_and_why_and_why_not_cuda()
    {
        var log = new CapturingLogger();
        using var device = ComputeDevice.Open(DeviceKind.Auto, new DeviceOpenOptions { Logger = log });

        Assert.That(log.Messages(DeviceOpened), Has.Count.EqualTo(1));
        Assert.That(log.Messages(DeviceOpened)[0], Does.Contain(device.Info.Name).And.Contain(device.Selection));
        if (device.Info.Kind == DeviceKind.Cuda)
        {
            Assert.That(log.Messages(CudaNotUsed), Is.Empty);
        }
        else
        {
            Assert.That(log.Messages(CudaNotUsed), Has.Count.EqualTo(1).And.One.Contain("CUDA"), "auto says why it did not take CUDA");
        }
    }

    [TestCase(CpuKernels.Simd)]
    [TestCase(CpuKernels.Ilgpu)]
    public void Asking_for_cublas_where_it_cannot_run_is_a_warning_that_says_why(CpuKernels kernels)
    {
        var log = new CapturingLogger();
        var policy = KernelPolicy.Default with { CpuKernels = kernels, Gemm = GpuGemm.CuBlas };
        using var device = ComputeDevice.Open(DeviceKind.Cpu, new DeviceOpenOptions { Policy = policy, Logger = log });

        Assert.That(device.Ops.GemmBackend, Does.Contain("cuBLAS unavailable"));
        var warning = log.Entries.Single(e => e.Id.Id == CuBlasFallback);
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("cuBLAS").And.Contain("kernels compute the matrix products"));
    }

    [Test]
    public void Training_logs_every_epoch_and_every_checkpoint_it_writes()
    {
        var log = new CapturingLogger();
        var (train, model) = TinyModel();
        using (model)
        {
            string path = Path.Combine(directory, "epochs.s2s");
            using var trainer = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 8, CheckpointPath = path, Logger = log });
            trainer.Fit(train);

            Assert.That(log.Messages(EpochFinished), Has.Count.EqualTo(2));
            Assert.That(log.Messages(EpochFinished)[1], Does.StartWith("epoch 2/2: loss ").And.Contain("tokens/s"));
            Assert.That(log.Messages(CheckpointWritten), Is.EqualTo(new[]
            {
                $"wrote training checkpoint {Trainer.LastCheckpointPath(path)} (epoch 1)", $"wrote model {path} (epoch 1)",
                $"wrote training checkpoint {Trainer.LastCheckpointPath(path)} (epoch 2)", $"wrote model {path} (epoch 2)",
            }));
            Assert.That(log.Entries.Where(e => e.Level >= LogLevel.Warning), Is.Empty);
        }
    }

    [Test]
    public void A_divergence_is_logged_as_an_error_before_it_is_thrown()
    {
        var log = new CapturingLogger();
        var (train, model) = TinyModel();
        using (model)
        {
            var bias = model.Weights.ReadTensor("output.bias");
            bias[0] = float.NaN;
            model.Weights.WriteTensor("output.bias", bias);
            using var trainer = new Trainer(model, new TrainerOptions { Epochs = 1, BatchSize = 8, Logger = log });

            Assert.That(() => trainer.Fit(train), Throws.TypeOf<TrainingDivergedException>());
            var error = log.Entries.Single(e => e.Id.Id == TrainingDiverged);
            Assert.That(error.Level, Is.EqualTo(LogLevel.Error));
            Assert.That(error.Message, Does.Contain("NaN"));
        }
    }

    [Test]
    public void Verbose_sends_the_log_to_standard_error_and_leaves_standard_output_alone()
    {
        var (_, model) = TinyModel();
        string path = Path.Combine(directory, "verbose.s2s");
        using (model)
        {
            ModelCheckpoint.Save(path, model);
        }

        var quiet = CliRun.Of("translate", "--model", path, "--device", "cpu", "abc");
        var verbose = CliRun.Of("translate", "--model", path, "--device", "cpu", "--verbose", "abc");

        Assert.That(verbose.ExitCode, Is.Zero, verbose.ToString());
        Assert.That(verbose.Out, Is.EqualTo(quiet.Out));
        Assert.That(quiet.Error, Is.Empty);
        Assert.That(verbose.ErrorLines, Has.All.StartWith("seq2seq: "));
        Assert.That(verbose.ErrorLines, Has.Some.StartWith("seq2seq: info: device ").And.Some.Contain("Cpu requested"));
        Assert.That(verbose.ErrorLines, Has.Some.Match("model .*verbose.s2s: [0-9]+ parameters; [0-9]+ bytes allocated on the device for it \\(0 optimizer-state buffers\\)"));
    }

    private static (ParallelDataset Train, Seq2SeqModel Model) TinyModel()
    {
        var pairs = TinyTasks.Reverse(16, 4, 21);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var train = new ParallelDataset(pairs, text);
        return (train, Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 4, 8), seed: 5));
    }
}
