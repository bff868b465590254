using System.Text.Json;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Interop.Keras;

/// <summary>
/// Brings a model of the Keras <c>lstm_seq2seq</c> family into the engine (<c>seq2seq import keras</c>): the training
/// model saved whole by Keras 2 (<c>.h5</c>) or Keras 3 (<c>.keras</c>), with an LSTM encoder whose final states start an
/// LSTM decoder, a softmax Dense over the decoder's outputs, and one-hot inputs (the LSTM kernels' rows are then the
/// input projections, the engine's one-hot mode) or an Embedding on each side. Keras' gate order i, f, c, o is the
/// engine's i, f, g, o, and its kernels [in, 4H], recurrent kernels [H, 4H], bias [4H] and Dense kernel [H, V] are the
/// engine's layouts, so the weights are copied as they are. <c>recurrent_activation</c> may be <c>sigmoid</c> or
/// <c>hard_sigmoid</c> (Keras 2's <c>clip(0.2x + 0.5, 0, 1)</c> in a <c>.h5</c>, Keras 3's <c>clip(x/6 + 0.5, 0, 1)</c> in a <c>.keras</c>). Anything else is a <see cref="DataFormatException"/> of one
/// line naming the file, the layer and the setting.
/// </summary>
public static class KerasImport
{
    /// <summary>Reads a Keras model file onto <paramref name="device"/> with the given vocabularies.</summary>
    /// <param name="device">Where the weights go.</param>
    /// <param name="path">The <c>.h5</c> or <c>.keras</c> file.</param>
    /// <param name="text">The vocabularies the model was trained with (see <see cref="ReadVocabularies"/>); their sizes must match the weights.</param>
    /// <param name="maxSourceLength">Keras' <c>max_encoder_seq_length</c>: the length inference pads sources to with spaces (0: unknown).</param>
    /// <param name="maxTargetLength">Keras' <c>max_decoder_seq_length</c>: the decoding length limit (0: unknown).</param>
    public static Seq2SeqModel Load(ComputeDevice device, string path, TextEncoder text, int maxSourceLength = 0, int maxTargetLength = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSourceLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTargetLength);
        var file = KerasModelFile.Read(path);
        var (encoder, decoder, output) = Structure(file);
        var sourceSide = Side(file, encoder, text.SourceVocabulary.Count, "source");
        var targetSide = Side(file, decoder, text.TargetVocabulary.Count, "target");
        int hidden = sourceSide.Hidden;
        if (targetSide.Hidden != hidden)
        {
            throw Fail(file, decoder, $"units {targetSide.Hidden} differ from the encoder's {hidden} (the decoder starts from the encoder's states)");
        }

        if (targetSide.Activation != sourceSide.Activation)
        {
            throw Fail(file, decoder, $"recurrent_activation differs from the encoder's; the engine gives both sides one");
        }

        if (sourceSide.EmbeddingSize != targetSide.EmbeddingSize)
        {
            throw Fail(file, decoder, $"input width {Describe(targetSide.EmbeddingSize)} differs from the encoder's {Describe(sourceSide.EmbeddingSize)}; the engine gives both sides the same embedding size");
        }

        var dense = file.Weights[output.Name];
        Check(file, output, dense, 2, "kernel", [hidden, text.TargetVocabulary.Count], "[units of the decoder, target vocabulary]");
        Check(file, output, dense, 2, "bias", [text.TargetVocabulary.Count], "[target vocabulary]");
        var config = new Seq2SeqConfig(text.SourceVocabulary.Count, text.TargetVocabulary.Count, sourceSide.EmbeddingSize, hidden, RecurrentActivation: sourceSide.Activation);
        var model = Seq2SeqModel.CreateUninitialized(device, text, config);
        try
        {
            model.MaxSourceLength = maxSourceLength;
            model.MaxTargetLength = maxTargetLength;
            var architecture = Seq2SeqArchitecture.For(config);
            Write(model, architecture.Encoder, sourceSide);
            Write(model, architecture.Decoder, targetSide);
            model.Weights.WriteTensor(Seq2SeqArchitecture.OutputKernel, dense[0].Values);
            model.Weights.WriteTensor(Seq2SeqArchitecture.OutputBias, dense[1].Values);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The vocabularies of the Keras character example from its two token→index JSON dicts (<c>input_token_index</c>,
    /// <c>target_token_index</c>): indices 0 to V−1 each once; the source must hold the space (Keras pads with it), the
    /// target the space, <c>"\t"</c> (start) and <c>"\n"</c> (end).
    /// </summary>
    public static TextEncoder ReadVocabularies(string sourceJsonPath, string targetJsonPath)
    {
        var source = ReadVocabulary(sourceJsonPath, isTarget: false);
        var target = ReadVocabulary(targetJsonPath, isTarget: true);
        return new TextEncoder(TokenLevel.Character, VocabularyScheme.KerasCompatible, source, target);
    }

    /// <summary>
    /// The vocabularies and maxima the Keras example builds from the first pairs of a corpus (sorted character sets,
    /// targets wrapped in tab and newline; <c>max_encoder_seq_length</c>, <c>max_decoder_seq_length</c>).
    /// </summary>
    public static (TextEncoder Text, int MaxSourceLength, int MaxTargetLength) VocabulariesFromData(IReadOnlyList<SentencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
        var dataset = new ParallelDataset(pairs, text);
        return (text, dataset.MaxSourceLength, dataset.MaxTargetLength);
    }

    private static Vocabulary ReadVocabulary(string path, bool isTarget)
    {
        ArgumentNullException.ThrowIfNull(path);
        string side = isTarget ? "target" : "source";
        Dictionary<string, int>? map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new DataFormatException($"{side} vocabulary '{path}': not a JSON object of token to index ({ex.Message})", ex);
        }

        if (map is null || map.Count == 0)
        {
            throw new DataFormatException($"{side} vocabulary '{path}': empty");
        }

        var tokens = new string[map.Count];
        foreach (var (token, index) in map)
        {
            if (index < 0 || index >= tokens.Length || tokens[index] is not null)
            {
                throw new DataFormatException($"{side} vocabulary '{path}': index {index} of '{Vocabulary.Escape(token)}' is {(index < 0 || index >= tokens.Length ? "out of range" : "repeated")}; indices must be 0 to {tokens.Length - 1}, each once");
            }

            tokens[index] = token;
        }

        int Id(string token, string what) => map.TryGetValue(token, out int id)
            ? id
            : throw new DataFormatException($"{side} vocabulary '{path}': has no {what} token '{Vocabulary.Escape(token)}' (the Keras character example's)");
        int pad = Id(Vocabulary.KerasPadToken, "padding");
        var specials = isTarget
            ? new SpecialTokens(pad, Id(Vocabulary.KerasStartToken, "start"), Id(Vocabulary.KerasEndToken, "end"), pad)
            : new SpecialTokens(pad, SpecialTokens.Absent, SpecialTokens.Absent, pad);
        try
        {
            return Vocabulary.FromTokens(tokens, specials);
        }
        catch (DataFormatException ex)
        {
            throw new DataFormatException($"{side} vocabulary '{path}': {ex.Message}", ex);
        }
    }

    private static (KerasLayer Encoder, KerasLayer Decoder, KerasLayer Output) Structure(KerasModelFile file)
    {
        foreach (var layer in file.Layers)
        {
            if (layer.ClassName is not ("InputLayer" or "Embedding" or "LSTM" or "Dense"))
            {
                throw Fail(file, layer, $"class {layer.ClassName} is not part of the lstm_seq2seq family (InputLayer, Embedding, LSTM, Dense)");
            }
        }

        var lstms = file.Layers.Where(l => l.ClassName == "LSTM").ToList();
        var denses = file.Layers.Where(l => l.ClassName == "Dense").ToList();
        if (lstms.Count != 2 || denses.Count != 1)
        {
            throw new DataFormatException($"Keras file '{file.Path}': {lstms.Count} LSTM and {denses.Count} Dense layers; the lstm_seq2seq model has 2 LSTM (encoder, decoder) and 1 Dense");
        }

        var output = denses[0];
        var decoder = lstms.FirstOrDefault(l => output.Inbound.Contains(l.Name))
            ?? throw Fail(file, output, "does not read an LSTM's outputs");
        var encoder = lstms.Single(l => l != decoder);
        if (!decoder.Inbound.Contains(encoder.Name))
        {
            throw Fail(file, decoder, $"does not start from the states of '{encoder.Name}'");
        }

        if (output.Activation("activation") != "softmax")
        {
            throw Fail(file, output, $"activation '{output.Activation("activation")}' is not softmax");
        }

        if (!output.Flag("use_bias", absent: true))
        {
            throw Fail(file, output, "use_bias false is not supported");
        }

        if (!encoder.Flag("return_state"))
        {
            throw Fail(file, encoder, "return_state is false; the encoder's final states start the decoder");
        }

        if (!decoder.Flag("return_sequences"))
        {
            throw Fail(file, decoder, "return_sequences is false; the Dense reads every step of the decoder");
        }

        return (encoder, decoder, output);
    }

    private static SideWeights Side(KerasModelFile file, KerasLayer lstm, int vocabulary, string side)
    {
        foreach (var key in new[] { "go_backwards", "stateful", "unroll" })
        {
            if (lstm.Flag(key))
            {
                throw Fail(file, lstm, $"{key} true is not supported");
            }
        }

        if (!lstm.Flag("use_bias", absent: true))
        {
            throw Fail(file, lstm, "use_bias false is not supported");
        }

        if (lstm.Activation("activation") is { } activation && activation != "tanh")
        {
            throw Fail(file, lstm, $"activation '{activation}' is not supported (tanh)");
        }

        // hard_sigmoid is Keras' own: 0.2x + 0.5 in Keras 2, x/6 + 0.5 in Keras 3, clipped to [0, 1].
        string recurrent = lstm.Activation("recurrent_activation") ?? "sigmoid";
        var gateActivation = recurrent switch
        {
            "sigmoid" => RecurrentActivation.Sigmoid,
            "hard_sigmoid" => file.IsKeras3 ? RecurrentActivation.HardSigmoidKeras3 : RecurrentActivation.HardSigmoidKeras2,
            _ => throw Fail(file, lstm, $"recurrent_activation '{recurrent}' is not supported (sigmoid or hard_sigmoid)"),
        };

        int hidden = lstm.Number("units") ?? throw Fail(file, lstm, "has no 'units' setting");
        var weights = file.Weights[lstm.Name];
        var input = file.Layers.FirstOrDefault(l => lstm.Inbound.Count > 0 && l.Name == lstm.Inbound[0])
            ?? throw Fail(file, lstm, "its input layer is not in the model");
        float[]? embedding = null;
        int width = vocabulary;
        if (input.ClassName == "Embedding")
        {
            if (input.Flag("mask_zero"))
            {
                throw Fail(file, input, "mask_zero true is not supported (the Keras-compatible scheme masks nothing)");
            }

            var table = file.Weights[input.Name];
            if (table.Count != 1 || table[0].Shape.Length != 2)
            {
                throw Fail(file, input, $"has {table.Count} weights; an Embedding has one [input_dim, output_dim] table");
            }

            if (table[0].Shape[0] != vocabulary)
            {
                throw Fail(file, input, $"input_dim {table[0].Shape[0]} does not match the {side} vocabulary's {vocabulary} tokens");
            }

            embedding = table[0].Values;
            width = table[0].Shape[1];
        }
        else if (input.ClassName != "InputLayer")
        {
            throw Fail(file, lstm, $"reads '{input.Name}' ({input.ClassName}), not an Input or an Embedding");
        }

        string what = embedding is null ? $"[{side} vocabulary (one-hot inputs), 4·units]" : "[embedding size, 4·units]";
        Check(file, lstm, weights, 3, "kernel", [width, 4 * hidden], what);
        Check(file, lstm, weights, 3, "recurrent_kernel", [hidden, 4 * hidden], "[units, 4·units]");
        Check(file, lstm, weights, 3, "bias", [4 * hidden], "[4·units]");
        return new SideWeights(hidden, embedding is null ? 0 : width, embedding, weights[0].Values, weights[1].Values, weights[2].Values, gateActivation);
    }

    private static void Check(KerasModelFile file, KerasLayer layer, IReadOnlyList<KerasWeight> weights, int count, string name, int[] shape, string what)
    {
        if (weights.Count != count)
        {
            throw Fail(file, layer, $"has {weights.Count} weights, not {count}");
        }

        int index = name switch { "recurrent_kernel" => 1, "bias" => count - 1, _ => 0 };
        var weight = weights[index];
        if (!weight.Shape.AsSpan().SequenceEqual(shape))
        {
            throw Fail(file, layer, $"{name} '{weight.Name}' has shape [{string.Join(", ", weight.Shape)}], expected [{string.Join(", ", shape)}] {what}");
        }
    }

    private static void Write(Seq2SeqModel model, StackDescription stack, SideWeights side)
    {
        if (stack.Embedding is { } embedding)
        {
            model.Weights.WriteTensor(embedding, side.Embedding);
        }

        var layer = stack.Layers[0];
        model.Weights.WriteTensor(layer.Kernel, side.Kernel);
        model.Weights.WriteTensor(layer.RecurrentKernel, side.RecurrentKernel);
        model.Weights.WriteTensor(layer.Bias, side.Bias);
    }

    private static string Describe(int embeddingSize) => embeddingSize == 0 ? "one-hot" : $"embedding {embeddingSize}";

    private static DataFormatException Fail(KerasModelFile file, KerasLayer layer, string problem) =>
        new($"Keras file '{file.Path}': layer '{layer.Name}' ({layer.ClassName}): {problem}");

    private sealed record SideWeights(int Hidden, int EmbeddingSize, float[]? Embedding, float[] Kernel, float[] RecurrentKernel, float[] Bias, RecurrentActivation Activation);
}
