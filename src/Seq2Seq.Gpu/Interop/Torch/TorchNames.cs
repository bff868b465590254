using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Interop.Torch;

/// <summary>
/// The PyTorch names and layouts of a model's parameters, as a module with the attributes <c>encoder_embedding</c>,
/// <c>decoder_embedding</c> (<c>nn.Embedding</c>, absent with one-hot inputs), <c>encoder</c>, <c>decoder</c>
/// (<c>nn.LSTM</c> or <c>nn.GRU</c>, <c>num_layers</c> = the model's layers, the encoder <c>bidirectional</c> with H/2
/// units a direction when the model's is) and <c>output</c> (<c>nn.Linear(H, V_target)</c>) has them in its
/// <c>state_dict</c>. Gate orders need no permutation: PyTorch's LSTM is i, f, g, o and its GRU r, z, n, as the engine's.
/// </summary>
internal static class TorchNames
{
    /// <summary>Every PyTorch tensor of a model of <paramref name="architecture"/>, in the order they are written.</summary>
    public static IReadOnlyList<TorchTensorMap> For(Seq2SeqArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var maps = new List<TorchTensorMap>();
        Side(maps, architecture.Encoder);
        Side(maps, architecture.Decoder);
        int hidden = architecture.Config.HiddenSize;
        int vocab = architecture.Config.TargetVocabSize;

        // Luong attention as OpenNMT's GlobalAttention names it, both without bias: linear_in (general only) maps the
        // decoder state, q·W_aᵀ, whose dot with ē is the engine's q·(ē·W_a), so its weight is W_a itself; linear_out
        // maps [c; h], so its weight is W_cᵀ.
        if (architecture.Config.Attention == AttentionKind.General)
        {
            maps.Add(new("attention.linear_in.weight", [hidden, hidden], Seq2SeqArchitecture.AttentionScoreKernel, TorchTensorRole.Same));
        }

        if (architecture.Config.HasAttention)
        {
            maps.Add(new("attention.linear_out.weight", [hidden, 2 * hidden], Seq2SeqArchitecture.AttentionCombineKernel, TorchTensorRole.Transposed));
        }

        maps.Add(new("output.weight", [vocab, hidden], Seq2SeqArchitecture.OutputKernel, TorchTensorRole.Transposed));
        maps.Add(new("output.bias", [vocab], Seq2SeqArchitecture.OutputBias, TorchTensorRole.Same));
        return maps;
    }

    private static void Side(List<TorchTensorMap> maps, StackDescription stack)
    {
        if (stack.Embedding is { } embedding)
        {
            maps.Add(new($"{stack.Side}_embedding.weight", [stack.VocabularySize, stack.EmbeddingSize], embedding, TorchTensorRole.Same));
        }

        for (int l = 0; l < stack.Layers.Count; l++)
        {
            Layer(maps, stack, stack.Layers[l], string.Empty);
            if (stack.Reverse is { } reverse)
            {
                Layer(maps, stack, reverse.Layers[l], "_reverse");
            }
        }
    }

    private static void Layer(List<TorchTensorMap> maps, StackDescription stack, LayerDescription layer, string suffix)
    {
        string prefix = $"{stack.Side}.";
        string l = $"_l{layer.Index}{suffix}";
        int gates = layer.GateWidth;
        bool lstm = stack.Cell == CellKind.Lstm;
        maps.Add(new($"{prefix}weight_ih{l}", [gates, layer.InputWidth], layer.Kernel, TorchTensorRole.Transposed));
        maps.Add(new($"{prefix}weight_hh{l}", [gates, stack.Units], layer.RecurrentKernel, TorchTensorRole.Transposed));
        maps.Add(new($"{prefix}bias_ih{l}", [gates], layer.Bias, lstm ? TorchTensorRole.LstmInputBias : TorchTensorRole.GruInputBias));
        maps.Add(new($"{prefix}bias_hh{l}", [gates], layer.Bias, lstm ? TorchTensorRole.LstmRecurrentBias : TorchTensorRole.GruRecurrentBias));
    }

    /// <summary>The [cols, rows] transpose of a row-major [rows, cols] matrix.</summary>
    public static float[] Transpose(float[] values, int rows, int cols)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                result[((long)c * rows) + r] = values[((long)r * cols) + c];
            }
        }

        return result;
    }
}
