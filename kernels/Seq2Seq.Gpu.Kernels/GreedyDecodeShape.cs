using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Sizes and weight offsets of <see cref="PersistentDecodeKernels.GreedyDecode{TMatrices}"/>. Offsets are element
/// offsets into the model's one parameter buffer, the output kernel's into the matrices view. Layer l's input kernel, recurrent kernel and bias come from the layer table.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct GreedyDecodeShape
{
    /// <summary>Creates a shape.</summary>
    public GreedyDecodeShape(
        int batch, int hidden, int layers, int vocab, int embeddingSize, bool oneHot, long embeddingOffset, long outputKernelOffset, long outputBiasOffset, int steps, int endId, int activation = GateActivations.Sigmoid)
    {
        Batch = batch;
        Hidden = hidden;
        Layers = layers;
        Vocab = vocab;
        EmbeddingSize = embeddingSize;
        OneHot = oneHot ? 1 : 0;
        EmbeddingOffset = embeddingOffset;
        OutputKernelOffset = outputKernelOffset;
        OutputBiasOffset = outputBiasOffset;
        Steps = steps;
        EndId = endId;
        Activation = activation;
    }

    /// <summary>Decoder rows B.</summary>
    public int Batch { get; }

    /// <summary>Hidden size H.</summary>
    public int Hidden { get; }

    /// <summary>Stacked layers L.</summary>
    public int Layers { get; }

    /// <summary>Target vocabulary V (the logits' width and the input vocabulary of the first layer).</summary>
    public int Vocab { get; }

    /// <summary>Embedding width E (unused for one-hot inputs).</summary>
    public int EmbeddingSize { get; }

    /// <summary>1 when the first layer's input is one-hot (its kernel [V, 4H] is gathered by id), 0 for an embedding.</summary>
    public int OneHot { get; }

    /// <summary>Offset of the embedding table [V, E].</summary>
    public long EmbeddingOffset { get; }

    /// <summary>Offset of the output kernel [H, V] in the kernel's matrices view (the weight store in FP32).</summary>
    public long OutputKernelOffset { get; }

    /// <summary>Offset of the output bias [V].</summary>
    public long OutputBiasOffset { get; }

    /// <summary>Most steps to decode.</summary>
    public int Steps { get; }

    /// <summary>The END token: a row that produced it is finished.</summary>
    public int EndId { get; }

    /// <summary>The recurrent activation of the i, f and o gates (<see cref="GateActivations.Sigmoid"/> or a hard sigmoid).</summary>
    public int Activation { get; }
}
