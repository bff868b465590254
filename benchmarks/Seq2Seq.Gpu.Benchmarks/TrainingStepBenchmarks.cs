using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// Whole steps at the named configurations' shapes (<see cref="BenchmarkConfig"/>) on the selected device:
/// a training step (forward, backward, RMSprop) and greedy decoding of a batch for the configuration's target steps.
/// Every method synchronises the device before it returns.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class TrainingStepBenchmarks : IFlopCount, IDisposable
{
    private ComputeDevice? device;
    private Seq2SeqModel? model;
    private Trainer? trainer;
    private Translator? translator;
    private Batch? batch;
    private List<string>? sentences;

    /// <summary>The configuration measured.</summary>
    [Params("keras-char", "word-medium")]
    public string Config { get; set; } = "keras-char";

    /// <summary>Builds the model and a synthetic batch of full-length sequences.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var config = BenchmarkConfig.Named(Config);
        device = BenchmarkDevice.Open();
        var text = BenchmarkRunner.SyntheticText(config);
        model = Seq2SeqModel.Create(device, text, new Seq2SeqConfig(config.SourceVocab, config.TargetVocab, config.Embedding, config.Hidden, config.Layers));
        model.MaxTargetLength = config.TargetSteps + 1;
        trainer = new Trainer(model, new TrainerOptions { BatchSize = config.Batch });
        (var sources, batch) = BenchmarkRunner.SyntheticBatch(text, config);
        sentences = sources.Select(text.DecodeSource).ToList();
        translator = model.CreateTranslator();
        TrainStep();
    }

    /// <summary>One optimizer step on the batch.</summary>
    [Benchmark]
    public void TrainStep()
    {
        trainer!.TrainBatch(batch!);
        device!.Synchronize();
    }

    /// <summary>Greedy decoding of the batch's sources (up to the target length; the model is untrained, so sentences end when it says END).</summary>
    [Benchmark]
    public void GreedyDecodeBatch()
    {
        translator!.Translate(sentences!);
        device!.Synchronize();
    }

    /// <summary>Greedy decoding of one sentence.</summary>
    [Benchmark]
    public void GreedyDecodeOne()
    {
        translator!.Translate(sentences![0]);
        device!.Synchronize();
    }

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => 0;

    /// <summary>Frees the device.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        translator?.Dispose();
        trainer?.Dispose();
        model?.Dispose();
        device?.Dispose();
        GC.SuppressFinalize(this);
    }
}
