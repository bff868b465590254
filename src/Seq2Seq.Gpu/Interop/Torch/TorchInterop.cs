using System.Globalization;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Interop.Torch;

/// <summary>
/// A model as a PyTorch <c>state_dict</c> in a safetensors file (<c>seq2seq export torch</c> / <c>import torch</c>): the
/// names and layouts of <see cref="TorchNames"/>, F32, and in <c>__metadata__</c> the format name
/// <see cref="FormatName"/>, its version, and the engine's own <c>config</c>, <c>source_vocab</c>, <c>target_vocab</c>
/// and <c>special_tokens</c> entries (the checkpoint's). See docs/interop.md for the table and a PyTorch module.
/// </summary>
public static class TorchInterop
{
    /// <summary>Value of the <c>format</c> metadata key of an export.</summary>
    public const string FormatName = "seq2seq.gpu.torch";

    /// <summary>The export format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// Writes <paramref name="model"/> as a PyTorch state_dict (atomically). LSTM layers get PyTorch's two biases as
    /// <c>bias_ih</c> = the engine's bias and <c>bias_hh</c> = zeros; GRU layers get the bias's two rows.
    /// </summary>
    public static void Export(string path, Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var metadata = ModelCheckpoint.Describe(model, $"cannot export '{path}'");
        metadata["format"] = FormatName;
        metadata["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture);
        var layout = model.Weights.Layout;
        var tensors = new List<NamedTensor>();
        foreach (var map in TorchNames.For(Seq2SeqArchitecture.For(model.Config)))
        {
            var parameter = layout[map.Parameter];
            float[] values = model.Weights.ReadTensor(map.Parameter);
            int half = values.Length / 2;
            float[] data = map.Role switch
            {
                TorchTensorRole.Same or TorchTensorRole.LstmInputBias => values,
                TorchTensorRole.Transposed => TorchNames.Transpose(values, parameter.Shape[0], parameter.Shape[1]),
                TorchTensorRole.LstmRecurrentBias => new float[values.Length],
                TorchTensorRole.GruInputBias => values[..half],
                TorchTensorRole.GruRecurrentBias => values[half..],
                _ => throw new InvalidOperationException($"unknown role {map.Role}"),
            };
            tensors.Add(new NamedTensor(map.TorchName, map.TorchShape, data));
        }

        SafeTensorsFile.Write(path, metadata, tensors);
    }

    /// <summary>
    /// Reads an export (or a state_dict saved the same way from PyTorch with the same metadata) onto a device. Every
    /// problem is a <see cref="CheckpointException"/> naming the file and the tensor or entry: not a safetensors file,
    /// another format, a missing, extra, misshapen or non-F32 tensor. The two LSTM biases are summed.
    /// </summary>
    public static Seq2SeqModel Import(ComputeDevice device, string path)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(path);
        var file = SafeTensorsFile.Read(path);
        string where = $"PyTorch export '{path}'";
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName)
        {
            throw new CheckpointException($"{where}: metadata 'format' is {(format is null ? "missing" : $"'{format}'")}, not '{FormatName}' (a file written by 'seq2seq export torch')");
        }

        string version = file.Metadata.TryGetValue("format_version", out var v) ? v : "missing";
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new CheckpointException($"{where}: format version {version} is not supported (this build reads version {FormatVersion})");
        }

        var description = ModelCheckpoint.ReadDescription(file.Metadata, where);
        var maps = TorchNames.For(Seq2SeqArchitecture.For(description.Config));
        var expected = maps.Select(m => m.TorchName).ToHashSet(StringComparer.Ordinal);
        var unexpected = file.Tensors.FirstOrDefault(t => !expected.Contains(t.Name));
        if (unexpected is not null)
        {
            throw new CheckpointException($"{where}: tensor '{unexpected.Name}' is not part of a model with this config");
        }

        // Every tensor is read and checked (present, F32, shape) before the device memory is allocated.
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var parameter in description.Layout.Parameters)
        {
            values[parameter.Name] = new float[parameter.Count];
        }

        foreach (var map in maps)
        {
            float[] data = file.GetFloat32(map.TorchName, map.TorchShape);
            float[] target = values[map.Parameter];
            switch (map.Role)
            {
                case TorchTensorRole.Same:
                case TorchTensorRole.GruInputBias:
                    data.CopyTo(target, 0);
                    break;
                case TorchTensorRole.Transposed:
                    TorchNames.Transpose(data, map.TorchShape[0], map.TorchShape[1]).CopyTo(target, 0);
                    break;
                case TorchTensorRole.GruRecurrentBias:
                    data.CopyTo(target, data.Length);
                    break;
                default:
                    // The LSTM's bias_ih and bias_hh add up to the engine's one bias.
                    for (int i = 0; i < data.Length; i++)
                    {
                        target[i] += data[i];
                    }

                    break;
            }
        }

        var model = description.CreateUninitialized(device);
        try
        {
            foreach (var (name, data) in values)
            {
                model.Weights.WriteTensor(name, data);
            }

            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
