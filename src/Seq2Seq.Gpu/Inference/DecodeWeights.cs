using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// The decoder's weight matrices as its step products read them: per layer the recurrent kernel U and, in
/// <see cref="WeightPrecision.Bf16"/>, the input kernel W (the one-hot layer 0 gathers its rows instead), and the
/// output kernel. In <see cref="WeightPrecision.Fp32"/> they are packed views of the weight store, prepared again for
/// every decode (<see cref="Refresh"/>), as before this option existed. In <see cref="WeightPrecision.Bf16"/> they are
/// bfloat16 copies made once and kept while the weight store's <see cref="Parameters.WeightStore.Version"/> stays the
/// same (converted once per loaded model; made again only after the weights change, e.g. by a training step).
/// The attention's products and the encoder read the FP32 store in either precision.
/// </summary>
internal sealed class DecodeWeights : IDisposable
{
    private readonly Seq2SeqModel model;
    private readonly RecurrentStack decoder;
    private long preparedVersion = -1;

    /// <summary>Makes BF16 copies at once (so that an unsupported precision fails here, when a model is loaded); FP32 operands wait for <see cref="Refresh"/>.</summary>
    public DecodeWeights(Seq2SeqModel model, WeightPrecision precision)
    {
        this.model = model;
        Precision = precision;
        decoder = new RecurrentStack(model.Weights, Seq2SeqArchitecture.For(model.Config).Decoder);
        if (precision == WeightPrecision.Fp32)
        {
            // Nothing to convert, nothing that can fail: prepared at the first decode, as every decode does.
            return;
        }

        try
        {
            Refresh();
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>The precision the products read.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>Each layer's U [H, G·H].</summary>
    public PreparedRightOperand[] Recurrent { get; private set; } = [];

    /// <summary>Each layer's W [input, G·H], or null where the products read the store (FP32, or the one-hot layer 0).</summary>
    public PreparedRightOperand?[] Input { get; private set; } = [];

    /// <summary>The output kernel [H, V].</summary>
    public PreparedRightOperand Output { get; private set; } = null!;

    /// <summary>Bytes of weight matrices one decoder step reads through these operands (what the precision halves).</summary>
    public long BytesPerStep =>
        Recurrent.Concat(Input).Append(Output).OfType<PreparedRightOperand>().Sum(o => (long)o.K * o.N * (o.Precision == WeightPrecision.Bf16 ? 2 : 4));

    /// <summary>
    /// Called at the start of every decode: FP32 operands are prepared again (the weights may have changed since);
    /// BF16 copies only when the weight store's version has changed since they were made.
    /// </summary>
    public void Refresh()
    {
        long version = model.Weights.Version;
        if (Precision == WeightPrecision.Bf16 && version == preparedVersion && Recurrent.Length > 0)
        {
            return;
        }

        Release();
        var config = model.Config;
        preparedVersion = -1;

        // Assigned one by one, so that a failure part way leaves what was made for Release.
        Recurrent = new PreparedRightOperand[config.Layers];
        Input = new PreparedRightOperand?[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            Recurrent[l] = decoder.PrepareRecurrent(l, Precision);
            Input[l] = Precision == WeightPrecision.Fp32 ? null : decoder.PrepareInput(l, Precision);
        }

        Output = model.Device.Ops.PrepareRight(model.Weights.Weight(Seq2SeqArchitecture.OutputKernel), config.HiddenSize, config.TargetVocabSize, transposed: false, Precision);
        preparedVersion = version;
    }

    /// <inheritdoc />
    public void Dispose() => Release();

    private void Release()
    {
        foreach (var operand in Recurrent.Concat(Input).Append(Output).OfType<PreparedRightOperand>())
        {
            operand.Dispose();
        }

        Recurrent = [];
        Input = [];
        Output = null!;
    }
}
