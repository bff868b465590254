using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Shape of Luong attention over a batch, time-major as every sequence of the engine: queries [Tq, B, W] (decoder
/// states), keys and values [Ts, B, W] (encoder outputs, or their projection), weights and scores [Tq, B, Ts], source
/// mask [Ts, B]. Row (t, b) of the queries attends over column b of the keys only. Flags are ints (0 or 1) because
/// kernel parameters must be blittable.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct AttentionShape
{
    /// <summary>Creates a shape.</summary>
    /// <param name="queries">Tq: decoder steps (1 in step-by-step decoding).</param>
    /// <param name="keys">Ts: source steps.</param>
    /// <param name="batch">B: rows of a step.</param>
    /// <param name="width">W: width of a query, key and value.</param>
    /// <param name="accumulate">Whether the operation adds into its output (+=) rather than assigning it.</param>
    public AttentionShape(int queries, int keys, int batch, int width, bool accumulate = false)
    {
        Queries = queries;
        Keys = keys;
        Batch = batch;
        Width = width;
        Accumulate = accumulate ? 1 : 0;
    }

    /// <summary>Tq: decoder steps.</summary>
    public int Queries { get; }

    /// <summary>Ts: source steps.</summary>
    public int Keys { get; }

    /// <summary>B: rows of a step.</summary>
    public int Batch { get; }

    /// <summary>W: width of a query, key and value.</summary>
    public int Width { get; }

    /// <summary>1 to add into the output (+=), 0 to assign it (=).</summary>
    public int Accumulate { get; }

    /// <summary>Rows of the weights: Tq·B.</summary>
    public int WeightRows => Queries * Batch;

    /// <summary>The same shape with the given accumulation.</summary>
    public AttentionShape WithAccumulate(bool accumulate) => new(Queries, Keys, Batch, Width, accumulate);

    /// <inheritdoc />
    public override string ToString() => $"attention of {Queries}x{Batch} queries over {Keys}x{Batch} keys, width {Width}{(Accumulate != 0 ? ", +=" : string.Empty)}";
}
