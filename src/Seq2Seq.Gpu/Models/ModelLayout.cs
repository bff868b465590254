using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Models;

/// <summary>
/// The parameter layout of an encoder-decoder model, with the tensor names and shapes of DESIGN.md section 5:
/// <c>{encoder|decoder}.embedding</c> [V, E] (absent with one-hot inputs), <c>{encoder|decoder}.lstm.{l}.kernel</c>
/// [E or V or H, 4H], <c>.recurrent_kernel</c> [H, 4H], <c>.bias</c> [4H], <c>output.kernel</c> [H, V_target],
/// <c>output.bias</c> [V_target].
/// </summary>
public static class ModelLayout
{
    /// <summary>Name of the embedding table of a side ("encoder" or "decoder").</summary>
    public static string Embedding(string side) => $"{side}.embedding";

    /// <summary>Name of the input kernel of LSTM layer <paramref name="layer"/>.</summary>
    public static string Kernel(string side, int layer) => $"{side}.lstm.{layer}.kernel";

    /// <summary>Name of the recurrent kernel of LSTM layer <paramref name="layer"/>.</summary>
    public static string RecurrentKernel(string side, int layer) => $"{side}.lstm.{layer}.recurrent_kernel";

    /// <summary>Name of the bias of LSTM layer <paramref name="layer"/>.</summary>
    public static string Bias(string side, int layer) => $"{side}.lstm.{layer}.bias";

    /// <summary>Name of the output projection's kernel.</summary>
    public const string OutputKernel = "output.kernel";

    /// <summary>Name of the output projection's bias.</summary>
    public const string OutputBias = "output.bias";

    /// <summary>The encoder side's name prefix.</summary>
    public const string Encoder = "encoder";

    /// <summary>The decoder side's name prefix.</summary>
    public const string Decoder = "decoder";

    /// <summary>Builds the layout of a model.</summary>
    public static ParameterLayout Create(Seq2SeqConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        int h = config.HiddenSize;
        int gates = LstmGates.Count * h;
        var parameters = new List<(string, int[], ParameterInit)>();
        foreach (var (side, vocab) in new[] { (Encoder, config.SourceVocabSize), (Decoder, config.TargetVocabSize) })
        {
            if (!config.OneHot)
            {
                parameters.Add((Embedding(side), [vocab, config.EmbeddingSize], ParameterInit.EmbeddingUniform));
            }

            for (int layer = 0; layer < config.Layers; layer++)
            {
                int input = layer > 0 ? h : config.OneHot ? vocab : config.EmbeddingSize;
                parameters.Add((Kernel(side, layer), [input, gates], ParameterInit.GlorotUniform));
                parameters.Add((RecurrentKernel(side, layer), [h, gates], ParameterInit.Orthogonal));
                parameters.Add((Bias(side, layer), [gates], ParameterInit.LstmBias));
            }
        }

        parameters.Add((OutputKernel, [h, config.TargetVocabSize], ParameterInit.GlorotUniform));
        parameters.Add((OutputBias, [config.TargetVocabSize], ParameterInit.Zeros));
        return ParameterLayout.Create(parameters);
    }
}
