using System.IO.Compression;
using System.Text.Json;
using PureHDF;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Interop.Keras;

/// <summary>
/// A Keras model file read into its layers and their weights: a Keras 2 full-model <c>.h5</c> (the <c>model_config</c>
/// attribute; each layer's weights under <c>model_weights/&lt;layer&gt;</c> at the paths its <c>weight_names</c>
/// attribute lists, e.g. <c>&lt;layer&gt;/kernel:0</c>), or a Keras 3 <c>.keras</c> zip (<c>config.json</c>; in
/// <c>model.weights.h5</c> a layer's variables as datasets <c>0, 1, ...</c> under <c>layers/&lt;layer&gt;/vars</c>, or
/// for a recurrent layer its cell's under <c>layers/&lt;layer&gt;/cell/vars</c>, in the order the layer creates them).
/// </summary>
internal sealed class KerasModelFile
{
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];
    private static readonly byte[] ZipSignature = [(byte)'P', (byte)'K'];
    private static readonly HashSet<string> WeightedClasses = ["Embedding", "LSTM", "Dense", "GRU"];

    private KerasModelFile(string path, bool keras3, IReadOnlyList<KerasLayer> layers, IReadOnlyDictionary<string, IReadOnlyList<KerasWeight>> weights)
    {
        Path = path;
        IsKeras3 = keras3;
        Layers = layers;
        Weights = weights;
    }

    /// <summary>The file, as given.</summary>
    public string Path { get; }

    /// <summary>Whether the file is a Keras 3 <c>.keras</c> zip (which decides what <c>hard_sigmoid</c> means).</summary>
    public bool IsKeras3 { get; }

    /// <summary>The model's layers in config order.</summary>
    public IReadOnlyList<KerasLayer> Layers { get; }

    /// <summary>The weights of every Embedding, LSTM, GRU and Dense layer, by layer name, in Keras' order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<KerasWeight>> Weights { get; }

    /// <summary>Reads a Keras file; anything that is not one is a <see cref="DataFormatException"/> naming the file.</summary>
    public static KerasModelFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] head = new byte[8];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        try
        {
            if (read == head.Length && head.AsSpan().SequenceEqual(Hdf5Signature))
            {
                using var h5 = H5File.OpenRead(path);
                return ReadKeras2(path, h5);
            }

            if (read >= ZipSignature.Length && head.AsSpan(0, ZipSignature.Length).SequenceEqual(ZipSignature))
            {
                return ReadKeras3(path);
            }
        }
        catch (Exception ex) when (ex is not DataFormatException)
        {
            throw new DataFormatException($"Keras file '{path}': cannot be read ({ex.Message})", ex);
        }

        throw new DataFormatException($"Keras file '{path}': neither an HDF5 file (Keras 2 .h5) nor a zip (Keras 3 .keras)");
    }

    private static KerasModelFile ReadKeras2(string path, PureHDF.VOL.Native.NativeFile h5)
    {
        if (!h5.AttributeExists("model_config"))
        {
            throw new DataFormatException($"Keras file '{path}': HDF5 file without a 'model_config' attribute (a weights-only file? save the whole model with model.save)");
        }

        var layers = ParseLayers(path, h5.Attribute("model_config").Read<string>());
        if (!h5.LinkExists("model_weights"))
        {
            throw new DataFormatException($"Keras file '{path}': no 'model_weights' group");
        }

        var root = h5.Group("model_weights");
        var weights = new Dictionary<string, IReadOnlyList<KerasWeight>>(StringComparer.Ordinal);
        foreach (var layer in layers.Where(l => WeightedClasses.Contains(l.ClassName)))
        {
            string where = $"model_weights/{layer.Name}";
            if (!root.LinkExists(layer.Name))
            {
                throw new DataFormatException($"Keras file '{path}': layer '{layer.Name}' has no weights group '{where}'");
            }

            var group = root.Group(layer.Name);
            if (!group.AttributeExists("weight_names"))
            {
                throw new DataFormatException($"Keras file '{path}': '{where}' has no 'weight_names' attribute");
            }

            string[] names = group.Attribute("weight_names").Read<string[]>();
            weights[layer.Name] = names.Select(n => ReadWeight(path, group, n, $"{where}/{n}")).ToList();
        }

        return new KerasModelFile(path, false, layers, weights);
    }

    private static KerasModelFile ReadKeras3(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var configEntry = zip.GetEntry("config.json") ?? throw new DataFormatException($"Keras file '{path}': zip without 'config.json' (not a Keras 3 .keras file)");
        var weightsEntry = zip.GetEntry("model.weights.h5") ?? throw new DataFormatException($"Keras file '{path}': zip without 'model.weights.h5'");
        string config;
        using (var reader = new StreamReader(configEntry.Open()))
        {
            config = reader.ReadToEnd();
        }

        var layers = ParseLayers(path, config);
        using var buffer = new MemoryStream();
        using (var source = weightsEntry.Open())
        {
            source.CopyTo(buffer);
        }

        buffer.Position = 0;
        using var h5 = H5File.Open(buffer, true);
        var weights = new Dictionary<string, IReadOnlyList<KerasWeight>>(StringComparer.Ordinal);
        foreach (var layer in layers.Where(l => WeightedClasses.Contains(l.ClassName)))
        {
            bool recurrent = layer.ClassName is "LSTM" or "GRU";
            string where = recurrent ? $"layers/{layer.Name}/cell/vars" : $"layers/{layer.Name}/vars";
            if (!h5.LinkExists(where))
            {
                throw new DataFormatException($"Keras file '{path}': layer '{layer.Name}' has no weights group 'model.weights.h5:{where}'");
            }

            var group = h5.Group(where);
            int count = group.Children().Count();
            weights[layer.Name] = Enumerable.Range(0, count)
                .Select(i => ReadWeight(path, group, i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"model.weights.h5:{where}/{i}"))
                .ToList();
        }

        return new KerasModelFile(path, true, layers, weights);
    }

    private static KerasWeight ReadWeight(string path, IH5Group group, string name, string where)
    {
        if (!group.LinkExists(name))
        {
            throw new DataFormatException($"Keras file '{path}': weight '{where}' is missing");
        }

        var dataset = group.Dataset(name);
        ulong[] dims = dataset.Space.Dimensions;
        if (dims.Any(d => d > int.MaxValue) || dims.Aggregate(1UL, (a, d) => a * d) > int.MaxValue)
        {
            throw new DataFormatException($"Keras file '{path}': weight '{where}' is too large");
        }

        int[] shape = dims.Select(d => (int)d).ToArray();
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size is not (4 or 8))
        {
            throw new DataFormatException($"Keras file '{path}': weight '{where}' is not float32 or float64 ({dataset.Type.Class}, {dataset.Type.Size} bytes)");
        }

        float[] values = dataset.Type.Size == 4 ? dataset.Read<float[]>() : dataset.Read<double[]>().Select(v => (float)v).ToArray();
        return new KerasWeight(where, shape, values);
    }

    private static List<KerasLayer> ParseLayers(string path, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            string className = root.TryGetProperty("class_name", out var c) ? c.GetString() ?? string.Empty : string.Empty;
            if (className is not ("Functional" or "Model") || !root.TryGetProperty("config", out var config) || !config.TryGetProperty("layers", out var layers))
            {
                throw new DataFormatException($"Keras file '{path}': model class '{className}' is not a functional Model with layers (the lstm_seq2seq training model is one)");
            }

            var result = new List<KerasLayer>();
            foreach (var layer in layers.EnumerateArray())
            {
                var layerConfig = layer.GetProperty("config").Clone();
                string name = layer.TryGetProperty("name", out var n) ? n.GetString()! : layerConfig.GetProperty("name").GetString()!;
                var inbound = new List<string>();
                if (layer.TryGetProperty("inbound_nodes", out var nodes))
                {
                    CollectInbound(nodes, inbound);
                }

                result.Add(new KerasLayer(name, layer.GetProperty("class_name").GetString()!, layerConfig, inbound));
            }

            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DataFormatException($"Keras file '{path}': the model config is not valid Keras JSON ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// The layer names in inbound nodes: Keras 2 writes <c>[["name", node, tensor, {}], ...]</c>, Keras 3 objects with
    /// <c>"keras_history": ["name", node, tensor]</c>.
    /// </summary>
    private static void CollectInbound(JsonElement node, List<string> names)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            if (node.TryGetProperty("keras_history", out var history) && history.ValueKind == JsonValueKind.Array && history.GetArrayLength() > 0)
            {
                names.Add(history[0].GetString()!);
                return;
            }

            foreach (var property in node.EnumerateObject())
            {
                CollectInbound(property.Value, names);
            }
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            if (node.GetArrayLength() >= 2 && node[0].ValueKind == JsonValueKind.String && node[1].ValueKind == JsonValueKind.Number)
            {
                names.Add(node[0].GetString()!);
                return;
            }

            foreach (var item in node.EnumerateArray())
            {
                CollectInbound(item, names);
            }
        }
    }
}
