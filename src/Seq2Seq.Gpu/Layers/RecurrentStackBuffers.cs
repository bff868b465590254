using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Activations of one side's stacked recurrent layers over up to <see cref="MaxSteps"/> steps of up to
/// <see cref="MaxBatch"/> rows, kept for the backward pass. Per layer l: <c>Gates[l]</c> [T, B, G·H] (input
/// pre-activations, then what the cell keeps), <c>H[l]</c> [T + 1, B, H] (slot 0 is the initial state), and as the cell
/// needs them <c>C[l]</c> [T + 1, B, H] (LSTM) and <c>RecurrentGates[l]</c> [T, B, G·H] (GRU); <c>Embedded</c>
/// [T, B, E] is layer 0's input in embedding mode. A batch smaller than the capacity uses the leading part of each
/// buffer with its own B as the stride, so every step's slice stays contiguous.
/// </summary>
internal sealed class RecurrentStackBuffers : IDisposable
{
    private readonly DeviceBuffer<float>[] gates;
    private readonly DeviceBuffer<float>[] h;
    private readonly DeviceBuffer<float>?[] c;
    private readonly DeviceBuffer<float>?[] recurrentGates;
    private readonly DeviceBuffer<float>? embedded;

    public RecurrentStackBuffers(ComputeDevice device, StackDescription stack, int hidden, int maxSteps, int maxBatch)
    {
        Hidden = hidden;
        MaxSteps = maxSteps;
        MaxBatch = maxBatch;
        Cell = RecurrentCells.For(stack.Cell);
        int layers = stack.Layers.Count;
        gates = new DeviceBuffer<float>[layers];
        h = new DeviceBuffer<float>[layers];
        c = new DeviceBuffer<float>?[layers];
        recurrentGates = new DeviceBuffer<float>?[layers];
        try
        {
            foreach (var item in Buffers(stack, hidden, maxSteps, maxBatch))
            {
                var buffer = device.Allocate<float>(item.Elements, item.Name);
                int l = item.Layer;
                switch (item.Kind)
                {
                    case BufferKind.Gates: gates[l] = buffer; break;
                    case BufferKind.Hidden: h[l] = buffer; break;
                    case BufferKind.Cells: c[l] = buffer; break;
                    case BufferKind.RecurrentGates: recurrentGates[l] = buffer; break;
                    default: embedded = buffer; break;
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private enum BufferKind
    {
        Gates,
        Hidden,
        Cells,
        RecurrentGates,
        Embedded,
    }

    public int Hidden { get; }

    /// <summary>Stacked layers.</summary>
    public int Layers => h.Length;

    public int MaxSteps { get; }

    public int MaxBatch { get; }

    public IRecurrentCell Cell { get; }

    private int GateWidth => Cell.GateCount * Hidden;

    /// <summary>The buffers the constructor allocates for these sizes (for memory estimates; the same shapes).</summary>
    public static IEnumerable<MemoryItem> Plan(StackDescription stack, int hidden, int maxSteps, int maxBatch) =>
        Buffers(stack, hidden, maxSteps, maxBatch).Select(item => item.Memory);

    /// <summary>Layer l's activations over T steps, as its cell reads them.</summary>
    public CellSequence Sequence(int layer, CellWeights weights, int steps, int batch)
    {
        long state = (long)batch * Hidden;
        long stepGates = state * Cell.GateCount;
        return new CellSequence(
            weights,
            Gates(layer, steps, batch),
            h[layer].Slice(0, (steps + 1) * state),
            c[layer]?.Slice(0, (steps + 1) * state) ?? default,
            recurrentGates[layer]?.Slice(0, steps * stepGates) ?? default);
    }

    /// <summary>Gates of layer l for all T steps, [T, B, G·H].</summary>
    public ArrayView<float> Gates(int layer, int steps, int batch) => gates[layer].Slice(0, (long)steps * batch * GateWidth);

    /// <summary>Hidden state slot s (0 = initial, t + 1 = after step t) of layer l, [B, H].</summary>
    public ArrayView<float> HAt(int layer, int slot, int batch) => h[layer].Slice((long)slot * batch * Hidden, (long)batch * Hidden);

    /// <summary>Cell state slot s of layer l, [B, H] (cells with a cell state only).</summary>
    public ArrayView<float> CAt(int layer, int slot, int batch) =>
        (c[layer] ?? throw new InvalidOperationException($"a {Cell.Name} layer has no cell state")).Slice((long)slot * batch * Hidden, (long)batch * Hidden);

    /// <summary>Hidden states of slots [first, first + count) of layer l, [count, B, H] (contiguous).</summary>
    public ArrayView<float> HRange(int layer, int first, int count, int batch) => h[layer].Slice((long)first * batch * Hidden, (long)count * batch * Hidden);

    /// <summary>Layer 0's embedded inputs in embedding mode, [T·B, E].</summary>
    public ArrayView<float> Embedded(int rows, int width) =>
        (embedded ?? throw new InvalidOperationException("one-hot inputs have no embedded buffer")).Slice(0, (long)rows * width);

    public void Dispose()
    {
        foreach (var buffer in gates.Concat(h).Concat(c).Concat(recurrentGates))
        {
            buffer?.Dispose();
        }

        embedded?.Dispose();
    }

    private static IEnumerable<(int Layer, BufferKind Kind, string Name, long Elements, MemoryItem Memory)> Buffers(StackDescription stack, int hidden, int maxSteps, int maxBatch)
    {
        var cell = RecurrentCells.For(stack.Cell);
        long gateWidth = (long)cell.GateCount * hidden;
        string g = $"{cell.GateCount}H";
        foreach (var layer in stack.Layers)
        {
            int l = layer.Index;
            yield return Item(l, BufferKind.Gates, $"{stack.Side} layer {l} gates", $"[T x B x {g}]", [maxSteps, maxBatch, gateWidth]);
            yield return Item(l, BufferKind.Hidden, $"{stack.Side} layer {l} hidden states", "[(T + 1) x B x H]", [maxSteps + 1L, maxBatch, hidden]);
            if (cell.HasCellState)
            {
                yield return Item(l, BufferKind.Cells, $"{stack.Side} layer {l} cell states", "[(T + 1) x B x H]", [maxSteps + 1L, maxBatch, hidden]);
            }

            if (cell.KeepsRecurrentGates)
            {
                yield return Item(l, BufferKind.RecurrentGates, $"{stack.Side} layer {l} recurrent gates", $"[T x B x {g}]", [maxSteps, maxBatch, gateWidth]);
            }
        }

        if (!stack.OneHot)
        {
            yield return Item(0, BufferKind.Embedded, $"{stack.Side} embedded inputs", "[T x B x E]", [maxSteps, maxBatch, stack.EmbeddingSize]);
        }
    }

    private static (int, BufferKind, string, long, MemoryItem) Item(int layer, BufferKind kind, string name, string shape, long[] dims) =>
        (layer, kind, name, dims.Aggregate(1L, (a, b) => a * b), MemoryItem.Of(name, shape, dims));
}
