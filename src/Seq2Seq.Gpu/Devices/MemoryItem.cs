using System.Globalization;

namespace Seq2Seq.Gpu.Devices;

/// <summary>One buffer (or a group of equal buffers) of a <see cref="MemoryEstimate"/>.</summary>
/// <param name="Name">What it holds, e.g. "logits".</param>
/// <param name="Shape">Its shape in symbols and numbers, e.g. "[T x B x V] = [59 x 64 x 93]".</param>
/// <param name="Bytes">Its size in bytes, as the device will allocate it.</param>
/// <param name="Allocated">Whether it exists already (it then counts in the total but needs no new memory).</param>
public sealed record MemoryItem(string Name, string Shape, long Bytes, bool Allocated = false)
{
    /// <summary>"logits [T x B x V] = [59 x 64 x 93] = 1.4 MB".</summary>
    public override string ToString() => $"{Name} {Shape} = {MemoryEstimate.FormatBytes(Bytes)}";

    /// <summary>A float or int buffer of the product of <paramref name="dims"/> elements, rounded as the device allocates (at least one).</summary>
    internal static MemoryItem Of(string name, string symbols, long[] dims, int elementBytes = sizeof(float), bool allocated = false)
    {
        long elements = 1;
        foreach (long d in dims)
        {
            elements *= d;
        }

        string numbers = string.Join(" x ", dims.Select(d => d.ToString("N0", CultureInfo.InvariantCulture)));
        return new MemoryItem(name, $"{symbols} = [{numbers}]", Math.Max(elements, 1) * elementBytes, allocated);
    }
}
