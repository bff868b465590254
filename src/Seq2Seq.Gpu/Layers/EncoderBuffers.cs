using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The encoder's activations (see <see cref="EncoderStack"/>): the forward direction's <see cref="RecurrentStackBuffers"/>
/// and, for a bidirectional encoder, the backward direction's, plus (U = units per direction, H = 2U):
/// the index maps of <see cref="SourceReversal"/> (reversed ids [T·B], concatenation maps [2·T·B], final-state maps
/// [2·B]); a pair table [2·T·B, U] (the two directions' outputs stacked) and two pair-gradient buffers [2·T·B, U]
/// used alternately by the layers of the backward pass; per layer the concatenated outputs [T, B, H] in source order,
/// and below the top in reversed order (what the upper layers read); the decoder's initial state [B, H] (h, and c),
/// and the split final-state gradients [2·B, U] (dh, and dc).
/// </summary>
internal sealed class EncoderBuffers : IDisposable
{
    private readonly List<IDisposable> owned = [];
    private readonly Dictionary<string, DeviceBuffer<float>> floats = [];
    private readonly Dictionary<string, DeviceBuffer<int>> ints = [];

    public EncoderBuffers(ComputeDevice device, StackDescription encoder, int maxSteps, int maxBatch)
    {
        MaxSteps = maxSteps;
        MaxBatch = maxBatch;
        try
        {
            Forward = Own(new RecurrentStackBuffers(device, encoder, encoder.Units, maxSteps, maxBatch));
            if (encoder.Reverse is { } reverse)
            {
                Reverse = Own(new RecurrentStackBuffers(device, reverse, reverse.Units, maxSteps, maxBatch));
                foreach (var item in Extras(encoder, maxSteps, maxBatch))
                {
                    if (item.Ints)
                    {
                        ints[item.Name] = Own(device.Allocate<int>(item.Elements, item.Name));
                    }
                    else
                    {
                        floats[item.Name] = Own(device.Allocate<float>(item.Elements, item.Name));
                    }
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int MaxSteps { get; }

    public int MaxBatch { get; }

    /// <summary>The forward direction's activations (all of a unidirectional encoder's).</summary>
    public RecurrentStackBuffers Forward { get; } = null!;

    /// <summary>The backward direction's activations (reversed time order), or null when unidirectional.</summary>
    public RecurrentStackBuffers? Reverse { get; }

    /// <summary>The buffers the constructor allocates for these sizes (for memory estimates; the same shapes).</summary>
    public static IEnumerable<MemoryItem> Plan(StackDescription encoder, int maxSteps, int maxBatch)
    {
        var items = RecurrentStackBuffers.Plan(encoder, encoder.Units, maxSteps, maxBatch);
        if (encoder.Reverse is { } reverse)
        {
            items = items.Concat(RecurrentStackBuffers.Plan(reverse, reverse.Units, maxSteps, maxBatch)).Concat(Extras(encoder, maxSteps, maxBatch).Select(item => item.Memory));
        }

        return items;
    }

    /// <summary>Copies a host index map into the leading part of its buffer.</summary>
    public void Upload(string name, int[] map) => ints[name].CopyFrom(map);

    public ArrayView<int> Ints(string name, long length) => ints[name].Slice(0, length);

    public ArrayView<float> Floats(string name, long length) => floats[name].Slice(0, length);

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item.Dispose();
        }

        owned.Clear();
    }

    /// <summary>Names of the bidirectional encoder's own buffers (see the class summary).</summary>
    internal static class Names
    {
        public const string ReversedIds = "reversed source ids";
        public const string ConcatSource = "concatenation map (source order)";
        public const string ConcatReversed = "concatenation map (reversed order)";
        public const string SplitSource = "split map (source order)";
        public const string Interleave = "final-state interleave map";
        public const string Split = "final-state split map";
        public const string Pair = "direction outputs pair";
        public const string PairGradient = "direction outputs pair gradient";
        public const string FinalHidden = "decoder initial h";
        public const string FinalCells = "decoder initial c";
        public const string CarryHidden = "split dh carries";
        public const string CarryCells = "split dc carries";

        public static string Outputs(int layer) => $"encoder layer {layer} outputs (source order)";

        public static string ReversedOutputs(int layer) => $"encoder layer {layer} outputs (reversed order)";

        public static string PairGradientOf(int parity) => $"{PairGradient} {parity}";
    }

    private static IEnumerable<(string Name, long Elements, bool Ints, MemoryItem Memory)> Extras(StackDescription encoder, int maxSteps, int maxBatch)
    {
        var cell = RecurrentCells.For(encoder.Cell);
        long rows = (long)maxSteps * maxBatch;
        long units = encoder.Units;
        long hidden = 2 * units;
        yield return Item(Names.ReversedIds, "[T x B]", [rows], ints: true);
        yield return Item(Names.ConcatSource, "[2 x T x B]", [2 * rows], ints: true);
        yield return Item(Names.ConcatReversed, "[2 x T x B]", [2 * rows], ints: true);
        yield return Item(Names.SplitSource, "[2 x T x B]", [2 * rows], ints: true);
        yield return Item(Names.Interleave, "[2 x B]", [2L * maxBatch], ints: true);
        yield return Item(Names.Split, "[2 x B]", [2L * maxBatch], ints: true);
        yield return Item(Names.Pair, "[2 x T x B x H/2]", [2 * rows, units]);
        yield return Item(Names.PairGradientOf(0), "[2 x T x B x H/2]", [2 * rows, units]);
        yield return Item(Names.PairGradientOf(1), "[2 x T x B x H/2]", [2 * rows, units]);
        foreach (var layer in encoder.Layers)
        {
            yield return Item(Names.Outputs(layer.Index), "[T x B x H]", [rows, hidden]);
            if (layer.Index < encoder.Layers.Count - 1)
            {
                yield return Item(Names.ReversedOutputs(layer.Index), "[T x B x H]", [rows, hidden]);
            }
        }

        yield return Item(Names.FinalHidden, "[B x H]", [maxBatch, hidden]);
        yield return Item(Names.CarryHidden, "[2 x B x H/2]", [2L * maxBatch, units]);
        if (cell.HasCellState)
        {
            yield return Item(Names.FinalCells, "[B x H]", [maxBatch, hidden]);
            yield return Item(Names.CarryCells, "[2 x B x H/2]", [2L * maxBatch, units]);
        }
    }

    private static (string, long, bool, MemoryItem) Item(string name, string shape, long[] dims, bool ints = false) =>
        (name, dims.Aggregate(1L, (a, b) => a * b), ints, MemoryItem.Of($"encoder {name}", shape, dims, ints ? sizeof(int) : sizeof(float)));

    private T Own<T>(T item)
        where T : IDisposable
    {
        owned.Add(item);
        return item;
    }
}
