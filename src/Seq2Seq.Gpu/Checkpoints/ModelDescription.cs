using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>What a file's metadata says about a model, checked, before any device memory is allocated.</summary>
/// <param name="Config">The model's shape.</param>
/// <param name="Text">Tokenisation and both vocabularies.</param>
/// <param name="Layout">Where every parameter lives (names and shapes the tensors must have).</param>
/// <param name="MaxSourceLength">Longest training source, 0 if unknown.</param>
/// <param name="MaxTargetLength">Longest training target (START and END included), 0 if unknown.</param>
internal sealed record ModelDescription(Seq2SeqConfig Config, TextEncoder Text, ParameterLayout Layout, int MaxSourceLength, int MaxTargetLength)
{
    /// <summary>A model of this description on <paramref name="device"/>, its weights not yet written.</summary>
    public Seq2SeqModel CreateUninitialized(ComputeDevice device)
    {
        var model = Seq2SeqModel.CreateUninitialized(device, Text, Config);
        model.MaxSourceLength = MaxSourceLength;
        model.MaxTargetLength = MaxTargetLength;
        return model;
    }
}
