using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Models;

/// <summary>
/// The one description of a model's structure: its two sides, their layers and cells, and the name and shape of every
/// parameter, in buffer order. Training, step-by-step decoding, the persistent decoder's parameter table, checkpoints
/// and the tests' reference model all read it; nothing else spells a parameter name. Names follow DESIGN.md section 5:
/// <c>{encoder|decoder}.embedding</c> [V, E] (absent with one-hot inputs), <c>{side}.{cell}.{l}.kernel</c>
/// [E or V or H, G·H], <c>.recurrent_kernel</c> [H, G·H], <c>.bias</c> (per cell), <c>output.kernel</c> [H, V_target],
/// <c>output.bias</c> [V_target], with cell <c>lstm</c> (G = 4) or <c>gru</c> (G = 3). A bidirectional encoder has
/// per layer, after the forward direction's three parameters, the backward direction's
/// <c>encoder.{cell}.{l}.reverse.kernel|recurrent_kernel|bias</c>; both directions have H/2 units, and layer l &gt; 0 of
/// each reads the concatenated outputs of layer l − 1 (kernel [H, G·H/2]), as PyTorch's bidirectional LSTM. With
/// attention (<see cref="AttentionKind"/>), after the decoder: <c>attention.score.kernel</c> [H, H] (general only) and
/// <c>attention.combine.kernel</c> [2H, H]; the output projection then reads the attentional state h̃.
/// </summary>
internal sealed class Seq2SeqArchitecture
{
    /// <summary>The encoder side's name prefix.</summary>
    public const string EncoderSide = "encoder";

    /// <summary>The decoder side's name prefix.</summary>
    public const string DecoderSide = "decoder";

    /// <summary>Name of the output projection's kernel [H, V_target].</summary>
    public const string OutputKernel = "output.kernel";

    /// <summary>Name of the output projection's bias [V_target].</summary>
    public const string OutputBias = "output.bias";

    /// <summary>Name of the general attention score's W_a [H, H] (keys are ē·W_a).</summary>
    public const string AttentionScoreKernel = "attention.score.kernel";

    /// <summary>Name of the attentional state's W_c [2H, H]: rows 0..H-1 multiply the context c, rows H..2H-1 the decoder state h.</summary>
    public const string AttentionCombineKernel = "attention.combine.kernel";

    private readonly List<(string Name, int[] Shape, ParameterInit Init)> parameters = [];

    private Seq2SeqArchitecture(Seq2SeqConfig config)
    {
        Config = config;
        Encoder = Side(EncoderSide, config.SourceVocabSize, config.EncoderUnits, config.Bidirectional);
        Decoder = Side(DecoderSide, config.TargetVocabSize, config.HiddenSize, bidirectional: false);
        if (config.Attention == AttentionKind.General)
        {
            parameters.Add((AttentionScoreKernel, [config.HiddenSize, config.HiddenSize], ParameterInit.GlorotUniform));
        }

        if (config.HasAttention)
        {
            parameters.Add((AttentionCombineKernel, [2 * config.HiddenSize, config.HiddenSize], ParameterInit.GlorotUniform));
        }

        parameters.Add((OutputKernel, [config.HiddenSize, config.TargetVocabSize], ParameterInit.GlorotUniform));
        parameters.Add((OutputBias, [config.TargetVocabSize], ParameterInit.Zeros));
    }

    /// <summary>The shape the description was made from.</summary>
    public Seq2SeqConfig Config { get; }

    /// <summary>The encoder side (with its <see cref="StackDescription.Reverse"/> direction when bidirectional).</summary>
    public StackDescription Encoder { get; }

    /// <summary>The decoder side (its initial state is the encoder's final state, layer by layer).</summary>
    public StackDescription Decoder { get; }

    /// <summary>Every parameter: name, shape and initialiser, in buffer order.</summary>
    public IReadOnlyList<(string Name, int[] Shape, ParameterInit Init)> Parameters => parameters;

    /// <summary>The description of a (valid) config.</summary>
    public static Seq2SeqArchitecture For(Seq2SeqConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return new Seq2SeqArchitecture(config);
    }

    /// <summary>Where every parameter lives in the one contiguous buffer.</summary>
    public ParameterLayout CreateLayout() => ParameterLayout.Create(parameters);

    private StackDescription Side(string side, int vocab, int units, bool bidirectional)
    {
        var config = Config;
        var cell = RecurrentCells.For(config.Cell);
        int gates = cell.GateCount * units;
        string? embedding = config.OneHot ? null : $"{side}.embedding";
        if (embedding is not null)
        {
            parameters.Add((embedding, [vocab, config.EmbeddingSize], ParameterInit.EmbeddingUniform));
        }

        // Layer l > 0 reads the layer below's outputs: [forward; backward] (2·units = H) when bidirectional.
        int lowerWidth = bidirectional ? 2 * units : units;
        var layers = new List<LayerDescription>();
        var reverse = new List<LayerDescription>();
        for (int l = 0; l < config.Layers; l++)
        {
            int input = l > 0 ? lowerWidth : config.OneHot ? vocab : config.EmbeddingSize;
            string prefix = $"{side}.{cell.Name}.{l}";
            layers.Add(Layer(l, input, gates, units, prefix, cell));
            if (bidirectional)
            {
                reverse.Add(Layer(l, input, gates, units, $"{prefix}.reverse", cell));
            }
        }

        var activation = config.RecurrentActivation;
        var backward = bidirectional ? new StackDescription(side, vocab, embedding, config.EmbeddingSize, config.Cell, reverse, units, null, activation) : null;
        return new StackDescription(side, vocab, embedding, config.EmbeddingSize, config.Cell, layers, units, backward, activation);
    }

    private LayerDescription Layer(int index, int input, int gates, int units, string prefix, IRecurrentCell cell)
    {
        var layer = new LayerDescription(index, input, gates, $"{prefix}.kernel", $"{prefix}.recurrent_kernel", $"{prefix}.bias");
        parameters.Add((layer.Kernel, [input, gates], ParameterInit.GlorotUniform));
        parameters.Add((layer.RecurrentKernel, [units, gates], ParameterInit.Orthogonal));
        parameters.Add((layer.Bias, cell.BiasShape(units), cell.BiasInit));
        return layer;
    }
}
