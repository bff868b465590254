using ILGPU;
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
/// The attention's products and the encoder read the FP32 store in either precision. The decoder's matrices are
/// prepared as one group (<see cref="DeviceOps.PrepareRightGroup"/>): on the ILGPU kernels the bfloat16 copies then share one device
/// buffer (<see cref="SharedBFloat16"/>), which the persistent greedy decoder reads by offset (<see cref="OffsetOf"/>).
/// </summary>
internal sealed class DecodeWeights : IDisposable
{
    private readonly Seq2SeqModel model;
    private readonly RecurrentStack decoder;
    private long preparedVersion = -1;
    private PreparedRightGroup? group;

    /// <summary>Makes BF16 copies at once (so that a device that cannot hold them fails here, when a model is loaded); FP32 operands wait for <see cref="Refresh"/>.</summary>
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

    /// <summary>Every bfloat16 copy in one device view (the ILGPU kernels in <see cref="WeightPrecision.Bf16"/>), or empty.</summary>
    public ArrayView<ushort> SharedBFloat16 => group?.SharedBFloat16 ?? default;

    /// <summary>Where <paramref name="operand"/>'s copy starts in <see cref="SharedBFloat16"/> (elements).</summary>
    public long OffsetOf(PreparedRightOperand operand)
    {
        var prepared = group ?? throw new InvalidOperationException("the decoder's weights are not prepared");
        for (int i = 0; i < prepared.Operands.Count; i++)
        {
            if (ReferenceEquals(prepared.Operands[i], operand) && i < prepared.Offsets.Count)
            {
                return prepared.Offsets[i];
            }
        }

        throw new ArgumentException("the operand has no copy in the shared bfloat16 buffer", nameof(operand));
    }

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

        // Layer by layer U, then W where the products read a prepared W (not in FP32, not the one-hot layer 0), then W_out.
        var sources = new List<RightOperandSource>();
        var inputIndex = new int[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            sources.Add(decoder.RecurrentSource(l));
            inputIndex[l] = -1;
            if (Precision != WeightPrecision.Fp32 && decoder.InputSource(l) is { } input)
            {
                inputIndex[l] = sources.Count;
                sources.Add(input);
            }
        }

        sources.Add(new RightOperandSource(model.Weights.Weight(Seq2SeqArchitecture.OutputKernel), config.HiddenSize, config.TargetVocabSize, Transposed: false));
        group = model.Device.Ops.PrepareRightGroup(sources, Precision);
        var operands = group.Operands;
        Recurrent = new PreparedRightOperand[config.Layers];
        Input = new PreparedRightOperand?[config.Layers];
        for (int l = 0, next = 0; l < config.Layers; l++)
        {
            Recurrent[l] = operands[next];
            next += inputIndex[l] >= 0 ? 2 : 1;
            Input[l] = inputIndex[l] >= 0 ? operands[inputIndex[l]] : null;
        }

        Output = operands[^1];
        preparedVersion = version;
    }

    /// <inheritdoc />
    public void Dispose() => Release();

    private void Release()
    {
        group?.Dispose();
        group = null;
        Recurrent = [];
        Input = [];
        Output = null!;
    }
}
