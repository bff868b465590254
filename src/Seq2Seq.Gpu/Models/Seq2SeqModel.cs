using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Models;

/// <summary>
/// An encoder-decoder model on a device: its shape, its vocabularies and tokenisation, and the ONE weight store
/// that holds its parameters. The trainer updates that store in place and translators read it directly, so a
/// translator created before a training step sees the weights after it. Dispose it before its device. Save and load it
/// with <c>ModelCheckpoint</c>.
/// </summary>
public sealed class Seq2SeqModel : IDisposable
{
    private Seq2SeqModel(ComputeDevice device, Seq2SeqConfig config, TextEncoder text, WeightStore weights)
    {
        Device = device;
        Config = config;
        Text = text;
        Weights = weights;
    }

    /// <summary>The device the weights live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The model's shape.</summary>
    public Seq2SeqConfig Config { get; }

    /// <summary>Tokenisation and both vocabularies (never rebuilt after training).</summary>
    public TextEncoder Text { get; }

    /// <summary>The one device-resident copy of the parameters.</summary>
    internal WeightStore Weights { get; }

    // Set only by what knows the training data (the trainer, checkpoint loading, Keras import): a caller's value could
    // disagree with the vocabularies' training and with what a checkpoint may hold.

    /// <summary>Longest source sequence seen in training (tokens); 0 if unknown.</summary>
    public int MaxSourceLength { get; internal set; }

    /// <summary>Longest target sequence seen in training, START and END included; decoding's default length limit. 0 if unknown.</summary>
    public int MaxTargetLength { get; internal set; }

    /// <summary>Creates a model with seeded Keras-default initial weights.</summary>
    /// <param name="device">Where the weights live.</param>
    /// <param name="text">Tokenisation and vocabularies; their sizes must match <paramref name="config"/>.</param>
    /// <param name="config">The shape (see <see cref="Seq2SeqConfig.ForText"/>).</param>
    /// <param name="seed">Initialisation seed, 0 or more (the one seed type of the API, as <see cref="Training.TrainerOptions.Seed"/>).</param>
    public static Seq2SeqModel Create(ComputeDevice device, TextEncoder text, Seq2SeqConfig config, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var model = CreateUninitialized(device, text, config);
        model.Weights.Initialize((ulong)seed);
        return model;
    }

    /// <inheritdoc />
    public void Dispose() => Weights.Dispose();

    internal static Seq2SeqModel CreateUninitialized(ComputeDevice device, TextEncoder text, Seq2SeqConfig config)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (text.SourceVocabulary.Count != config.SourceVocabSize || text.TargetVocabulary.Count != config.TargetVocabSize)
        {
            throw new ShapeException(
                $"model config has {config.SourceVocabSize} source and {config.TargetVocabSize} target tokens but the vocabularies have {text.SourceVocabulary.Count} and {text.TargetVocabulary.Count}");
        }

        var layout = ModelLayout.Create(config);
        return new Seq2SeqModel(device, config, text, new WeightStore(device, layout));
    }
}
