using ILGPU;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The activations of <see cref="LuongAttention"/> for up to Tq query steps, Ts source steps and B rows (H wide):
/// keys [Ts, B, H] (general attention only; dot attention's keys are the encoder outputs), values [Ts, B, H], weights
/// [Tq, B, Ts] and the attentional state h̃ [Tq, B, H]; for training also the gradients of the values [Ts, B, H], of
/// the scores [Tq, B, Ts], of the encoder outputs [Ts, B, H] and (general) of the keys [Ts, B, H]. One list of items
/// (<see cref="Items"/>) gives both the allocation and the memory plan, so the two cannot disagree.
/// </summary>
internal sealed class AttentionBuffers : IDisposable
{
    private readonly Dictionary<string, DeviceBuffer<float>> buffers = [];

    public AttentionBuffers(ComputeDevice device, Seq2SeqConfig config, int maxQueries, int maxKeys, int maxBatch, bool training)
    {
        MaxQueries = maxQueries;
        MaxKeys = maxKeys;
        MaxBatch = maxBatch;
        try
        {
            foreach (var (name, elements, _) in Items(config, maxQueries, maxKeys, maxBatch, training))
            {
                buffers[name] = device.Allocate<float>(elements, $"attention {name}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int MaxQueries { get; }

    public int MaxKeys { get; }

    public int MaxBatch { get; }

    /// <summary>The buffers the constructor allocates for these sizes (for memory estimates; the same shapes).</summary>
    public static IEnumerable<MemoryItem> Plan(Seq2SeqConfig config, int maxQueries, int maxKeys, int maxBatch, bool training) =>
        Items(config, maxQueries, maxKeys, maxBatch, training).Select(item => item.Memory);

    public bool Fits(int queries, int keys, int batch) => queries <= MaxQueries && keys <= MaxKeys && batch <= MaxBatch;

    /// <summary>The leading <paramref name="length"/> elements of a buffer named in <see cref="Names"/>.</summary>
    public ArrayView<float> View(string name, long length) => buffers[name].Slice(0, length);

    public void Dispose()
    {
        foreach (var buffer in buffers.Values)
        {
            buffer.Dispose();
        }

        buffers.Clear();
    }

    private static IEnumerable<(string Name, long Elements, MemoryItem Memory)> Items(Seq2SeqConfig config, int maxQueries, int maxKeys, int maxBatch, bool training)
    {
        long h = config.HiddenSize;
        long queryRows = (long)maxQueries * maxBatch;
        long keyRows = (long)maxKeys * maxBatch;
        bool general = config.Attention == AttentionKind.General;
        if (general)
        {
            yield return Item(Names.Keys, "[Ts x B x H]", [keyRows, h]);
        }

        yield return Item(Names.Values, "[Ts x B x H]", [keyRows, h]);
        yield return Item(Names.Weights, "[Tq x B x Ts]", [queryRows, maxKeys]);
        yield return Item(Names.Attentional, "[Tq x B x H]", [queryRows, h]);
        if (!training)
        {
            yield break;
        }

        yield return Item(Names.ValueGradient, "[Ts x B x H]", [keyRows, h]);
        yield return Item(Names.ScoreGradient, "[Tq x B x Ts]", [queryRows, maxKeys]);
        yield return Item(Names.MemoryGradient, "[Ts x B x H]", [keyRows, h]);
        if (general)
        {
            yield return Item(Names.KeyGradient, "[Ts x B x H]", [keyRows, h]);
        }
    }

    private static (string, long, MemoryItem) Item(string name, string shape, long[] dims) =>
        (name, dims.Aggregate(1L, (a, b) => a * b), MemoryItem.Of($"attention {name}", shape, dims));

    /// <summary>Names of the buffers (see the class summary).</summary>
    internal static class Names
    {
        public const string Keys = "keys";
        public const string Weights = "weights";
        public const string Values = "values";
        public const string Attentional = "attentional state";
        public const string ValueGradient = "value gradient";
        public const string ScoreGradient = "score gradient";
        public const string MemoryGradient = "encoder output gradient";
        public const string KeyGradient = "key gradient";
    }
}
