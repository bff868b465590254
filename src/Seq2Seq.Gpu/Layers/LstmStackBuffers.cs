using ILGPU;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Activations of one side's stacked LSTM over up to <see cref="MaxSteps"/> steps of up to <see cref="MaxBatch"/>
/// rows, kept for the backward pass. Per layer l: <c>Gates[l]</c> [T, B, 4H] (pre-activations, then activations),
/// <c>H[l]</c>, <c>C[l]</c> [T + 1, B, H] (slot 0 is the initial state); <c>Embedded</c> [T, B, E] is layer 0's input
/// in embedding mode. A batch smaller than the capacity uses the leading part of each buffer with its own B as
/// the stride, so every step's slice stays contiguous.
/// </summary>
internal sealed class LstmStackBuffers : IDisposable
{
    private readonly DeviceBuffer<float>[] gates;
    private readonly DeviceBuffer<float>[] h;
    private readonly DeviceBuffer<float>[] c;
    private readonly DeviceBuffer<float>? embedded;

    public LstmStackBuffers(ComputeDevice device, string side, int layers, int hidden, int embedding, int maxSteps, int maxBatch)
    {
        Hidden = hidden;
        MaxSteps = maxSteps;
        MaxBatch = maxBatch;
        gates = new DeviceBuffer<float>[layers];
        h = new DeviceBuffer<float>[layers];
        c = new DeviceBuffer<float>[layers];
        try
        {
            for (int l = 0; l < layers; l++)
            {
                gates[l] = device.Allocate<float>(Product(GateDims(hidden, maxSteps, maxBatch)), $"{side} layer {l} gates");
                h[l] = device.Allocate<float>(Product(StateDims(hidden, maxSteps, maxBatch)), $"{side} layer {l} hidden states");
                c[l] = device.Allocate<float>(Product(StateDims(hidden, maxSteps, maxBatch)), $"{side} layer {l} cell states");
            }

            embedded = embedding > 0 ? device.Allocate<float>(Product(EmbeddedDims(embedding, maxSteps, maxBatch)), $"{side} embedded inputs") : null;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Hidden { get; }

    /// <summary>The buffers the constructor allocates for these sizes (for memory estimates; the same shapes).</summary>
    public static IEnumerable<MemoryItem> Plan(string side, int layers, int hidden, int embedding, int maxSteps, int maxBatch)
    {
        for (int l = 0; l < layers; l++)
        {
            yield return MemoryItem.Of($"{side} layer {l} gates", "[T x B x 4H]", GateDims(hidden, maxSteps, maxBatch));
            yield return MemoryItem.Of($"{side} layer {l} hidden states", "[(T + 1) x B x H]", StateDims(hidden, maxSteps, maxBatch));
            yield return MemoryItem.Of($"{side} layer {l} cell states", "[(T + 1) x B x H]", StateDims(hidden, maxSteps, maxBatch));
        }

        if (embedding > 0)
        {
            yield return MemoryItem.Of($"{side} embedded inputs", "[T x B x E]", EmbeddedDims(embedding, maxSteps, maxBatch));
        }
    }

    public int MaxSteps { get; }

    public int MaxBatch { get; }

    public bool Fits(int steps, int batch) => steps <= MaxSteps && batch <= MaxBatch;

    /// <summary>Gates of layer l for all T steps, [T, B, 4H].</summary>
    public ArrayView<float> Gates(int layer, int steps, int batch) => gates[layer].Slice(0, (long)steps * batch * LstmGates.Count * Hidden);

    /// <summary>Gates of layer l at step t, [B, 4H].</summary>
    public ArrayView<float> GatesAt(int layer, int t, int batch)
    {
        long size = (long)batch * LstmGates.Count * Hidden;
        return gates[layer].Slice(t * size, size);
    }

    /// <summary>Hidden state slot s (0 = initial, t + 1 = after step t) of layer l, [B, H].</summary>
    public ArrayView<float> HAt(int layer, int slot, int batch) => h[layer].Slice((long)slot * batch * Hidden, (long)batch * Hidden);

    /// <summary>Cell state slot s of layer l, [B, H].</summary>
    public ArrayView<float> CAt(int layer, int slot, int batch) => c[layer].Slice((long)slot * batch * Hidden, (long)batch * Hidden);

    /// <summary>Hidden states of slots [first, first + count) of layer l, [count, B, H] (contiguous).</summary>
    public ArrayView<float> HRange(int layer, int first, int count, int batch) => h[layer].Slice((long)first * batch * Hidden, (long)count * batch * Hidden);

    /// <summary>Cell states of slots [first, first + count) of layer <paramref name="layer"/>: [count, B, H].</summary>
    public ArrayView<float> CRange(int layer, int first, int count, int batch) => c[layer].Slice((long)first * batch * Hidden, (long)count * batch * Hidden);

    /// <summary>Layer 0's embedded inputs in embedding mode, [T·B, E].</summary>
    public ArrayView<float> Embedded(int rows, int width) =>
        (embedded ?? throw new InvalidOperationException("one-hot inputs have no embedded buffer")).Slice(0, (long)rows * width);

    private static long[] GateDims(int hidden, int steps, int batch) => [steps, batch, LstmGates.Count * (long)hidden];

    private static long[] StateDims(int hidden, int steps, int batch) => [steps + 1L, batch, hidden];

    private static long[] EmbeddedDims(int embedding, int steps, int batch) => [steps, batch, embedding];

    private static long Product(long[] dims) => dims.Aggregate(1L, (a, b) => a * b);

    public void Dispose()
    {
        foreach (var buffer in gates.Concat(h).Concat(c))
        {
            buffer?.Dispose();
        }

        embedded?.Dispose();
    }
}
