using ILGPU;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The state of a stack's layers during step-by-step decoding: per layer h (and c for cells with a cell state) [B, H],
/// and the buffers the next step writes, swapped in after each layer's step. Cells without a cell state leave
/// <see cref="Cells"/> and <see cref="NextCells"/> empty views.
/// </summary>
internal sealed class DecoderState(int layers)
{
    public ArrayView<float>[] Hidden { get; } = new ArrayView<float>[layers];

    public ArrayView<float>[] Cells { get; } = new ArrayView<float>[layers];

    public ArrayView<float>[] NextHidden { get; } = new ArrayView<float>[layers];

    public ArrayView<float>[] NextCells { get; } = new ArrayView<float>[layers];

    /// <summary>Makes layer l's next state its current one (its old buffers take the next step's).</summary>
    public void Advance(int layer)
    {
        (Hidden[layer], NextHidden[layer]) = (NextHidden[layer], Hidden[layer]);
        (Cells[layer], NextCells[layer]) = (NextCells[layer], Cells[layer]);
    }
}
