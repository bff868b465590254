using System.IO.Compression;
using System.Text.Json.Nodes;
using PureHDF;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Interop;

/// <summary>
/// Writes a one-layer reference model (engine names, <see cref="ReferenceArchitecture.Default"/>) as the Keras
/// lstm_seq2seq training model in Keras' own file layouts: a Keras 2 full-model <c>.h5</c> and a Keras 3 <c>.keras</c> zip.
/// </summary>
internal sealed class KerasFiles(ReferenceSeq2Seq model, string recurrentActivation = "sigmoid")
{
    private bool OneHot => model.Embedding == 0;

    /// <summary>Layer settings a test may change, by layer name (e.g. <c>lstm</c> → <c>go_backwards</c>).</summary>
    public Dictionary<string, Dictionary<string, JsonNode?>> Overrides { get; } = [];

    /// <summary>
    /// A Keras 2 <c>.h5</c>: the <c>model_config</c> attribute and <c>model_weights/&lt;layer&gt;</c> groups whose
    /// <c>weight_names</c> list their datasets, either Keras 2.2's <c>&lt;layer&gt;/kernel:0</c> or tf.keras' nested
    /// <c>&lt;layer&gt;/lstm_cell/kernel:0</c>.
    /// </summary>
    public void WriteKeras2(string path, bool nestedCell = false)
    {
        var weights = new H5Group();
        var names = new List<string>();
        foreach (var (layer, values) in LayerWeights())
        {
            string prefix = nestedCell && layer.StartsWith("lstm", StringComparison.Ordinal) ? $"{layer}/lstm_cell" : layer;
            string[] suffixes = values.Count switch
            {
                1 => ["embeddings:0"],
                2 => ["kernel:0", "bias:0"],
                _ => ["kernel:0", "recurrent_kernel:0", "bias:0"],
            };
            var inner = new H5Group();
            var target = inner;
            if (nestedCell && prefix != layer)
            {
                target = new H5Group();
                inner["lstm_cell"] = target;
            }

            for (int i = 0; i < values.Count; i++)
            {
                target[suffixes[i]] = Dataset(values[i]);
            }

            var group = new H5Group { [layer] = inner };
            group.Attributes["weight_names"] = suffixes.Select(s => $"{prefix}/{s}").ToArray();
            weights[layer] = group;
            names.Add(layer);
        }

        weights.Attributes["layer_names"] = names.ToArray();
        var file = new H5File { ["model_weights"] = weights };
        file.Attributes["model_config"] = Config(keras3: false).ToJsonString();
        file.Attributes["keras_version"] = "2.15.0";
        file.Attributes["backend"] = "tensorflow";
        file.Write(path);
    }

    /// <summary>A Keras 3 <c>.keras</c>: <c>config.json</c>, <c>metadata.json</c> and <c>model.weights.h5</c> with <c>layers/&lt;layer&gt;[/cell]/vars/i</c>.</summary>
    public void WriteKeras3(string path)
    {
        var layers = new H5Group();
        foreach (var name in LayerNames())
        {
            layers[name] = new H5Group { ["vars"] = new H5Group() };
        }

        foreach (var (layer, values) in LayerWeights())
        {
            var vars = new H5Group();
            for (int i = 0; i < values.Count; i++)
            {
                vars[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Dataset(values[i]);
            }

            layers[layer] = values.Count == 3
                ? new H5Group { ["vars"] = new H5Group(), ["cell"] = new H5Group { ["vars"] = vars } }
                : new H5Group { ["vars"] = vars };
        }

        var h5 = new H5File { ["layers"] = layers, ["vars"] = new H5Group() };
        using var weights = new MemoryStream();
        h5.Write(weights);
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Entry(zip, "metadata.json", "{\"keras_version\": \"3.6.0\", \"date_saved\": \"2026-12-02@12:00:00\"}");
        Entry(zip, "config.json", Config(keras3: true).ToJsonString());
        using var stream = zip.CreateEntry("model.weights.h5").Open();
        stream.Write(weights.ToArray());
    }

    /// <summary>The model's config JSON as the Keras version writes it.</summary>
    public JsonObject Config(bool keras3)
    {
        var layers = new JsonArray
        {
            Layer(keras3, "InputLayer", "input_1", [], new JsonObject { ["dtype"] = "float32" }),
            Layer(keras3, "InputLayer", "input_2", [], new JsonObject { ["dtype"] = "float32" }),
        };
        string encoderInput = "input_1", decoderInput = "input_2";
        if (!OneHot)
        {
            layers.Add(Layer(keras3, "Embedding", "embedding", ["input_1"], new JsonObject { ["input_dim"] = model.SourceVocab, ["output_dim"] = model.Embedding, ["mask_zero"] = false }));
            layers.Add(Layer(keras3, "Embedding", "embedding_1", ["input_2"], new JsonObject { ["input_dim"] = model.TargetVocab, ["output_dim"] = model.Embedding, ["mask_zero"] = false }));
            (encoderInput, decoderInput) = ("embedding", "embedding_1");
        }

        layers.Add(Layer(keras3, "LSTM", "lstm", [encoderInput], Lstm(returnSequences: false)));
        layers.Add(Layer(keras3, "LSTM", "lstm_1", [decoderInput, "lstm", "lstm"], Lstm(returnSequences: true)));
        layers.Add(Layer(keras3, "Dense", "dense", ["lstm_1"], new JsonObject { ["units"] = model.TargetVocab, ["activation"] = "softmax", ["use_bias"] = true }));
        var root = new JsonObject
        {
            ["class_name"] = "Functional",
            ["config"] = new JsonObject { ["name"] = "model", ["layers"] = layers },
        };
        if (keras3)
        {
            root["module"] = "keras.src.models.functional";
        }

        return root;
    }

    private static void Entry(ZipArchive zip, string name, string text)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open());
        writer.Write(text);
    }

    private static H5Dataset Dataset((int[] Shape, double[] Values) weight) =>
        new(weight.Values.Select(v => (float)v).ToArray(), fileDims: weight.Shape.Select(d => (ulong)d).ToArray());

    private IEnumerable<string> LayerNames() =>
        OneHot ? ["input_1", "input_2", "lstm", "lstm_1", "dense"] : ["input_1", "input_2", "embedding", "embedding_1", "lstm", "lstm_1", "dense"];

    private List<(string Layer, List<(int[] Shape, double[] Values)> Values)> LayerWeights()
    {
        var a = model.Architecture;
        var p = model.Parameters;
        int h = model.Hidden;
        int g = 4 * h;
        var result = new List<(string, List<(int[], double[])>)>();
        if (!OneHot)
        {
            result.Add(("embedding", [([model.SourceVocab, model.Embedding], p[a.Encoder.Embedding!])]));
            result.Add(("embedding_1", [([model.TargetVocab, model.Embedding], p[a.Decoder.Embedding!])]));
        }

        int Input(int vocab) => OneHot ? vocab : model.Embedding;
        var e = a.Encoder.Layers[0];
        var d = a.Decoder.Layers[0];
        result.Add(("lstm", [([Input(model.SourceVocab), g], p[e.Kernel]), ([h, g], p[e.RecurrentKernel]), ([g], p[e.Bias])]));
        result.Add(("lstm_1", [([Input(model.TargetVocab), g], p[d.Kernel]), ([h, g], p[d.RecurrentKernel]), ([g], p[d.Bias])]));
        result.Add(("dense", [([h, model.TargetVocab], p[a.OutputKernel]), ([model.TargetVocab], p[a.OutputBias])]));
        return result;
    }

    private JsonObject Lstm(bool returnSequences) => new()
    {
        ["units"] = model.Hidden,
        ["activation"] = "tanh",
        ["recurrent_activation"] = recurrentActivation,
        ["use_bias"] = true,
        ["return_sequences"] = returnSequences,
        ["return_state"] = true,
        ["go_backwards"] = false,
        ["stateful"] = false,
        ["unroll"] = false,
    };

    private JsonObject Layer(bool keras3, string className, string name, string[] inbound, JsonObject config)
    {
        config["name"] = name;
        if (Overrides.TryGetValue(name, out var changes))
        {
            foreach (var (key, value) in changes)
            {
                config[key] = value?.DeepClone();
            }
        }

        // The decoder's second and third inputs are the encoder's states h (tensor 1) and c (tensor 2).
        JsonArray nodes;
        if (inbound.Length == 0)
        {
            nodes = [];
        }
        else if (keras3)
        {
            static JsonObject Tensor(string layer, int index) => new()
            {
                ["class_name"] = "__keras_tensor__",
                ["config"] = new JsonObject { ["shape"] = new JsonArray(null, null, 4), ["dtype"] = "float32", ["keras_history"] = new JsonArray(layer, 0, index) },
            };
            var kwargs = new JsonObject { ["training"] = false };
            if (inbound.Length > 1)
            {
                kwargs["initial_state"] = new JsonArray(Tensor(inbound[1], 1), Tensor(inbound[2], 2));
            }

            nodes = [new JsonObject { ["args"] = new JsonArray(Tensor(inbound[0], 0)), ["kwargs"] = kwargs }];
        }
        else
        {
            var node = new JsonArray();
            for (int i = 0; i < inbound.Length; i++)
            {
                node.Add(new JsonArray(inbound[i], 0, i, new JsonObject()));
            }

            nodes = [node];
        }

        var layer = new JsonObject { ["class_name"] = className, ["config"] = config, ["name"] = name, ["inbound_nodes"] = nodes };
        if (keras3)
        {
            layer["module"] = "keras.layers";
        }

        return layer;
    }
}
