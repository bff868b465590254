namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The SplitMix64 generator's two parts, written once for the host's seeded generator (<c>DeterministicRandom</c>) and
/// for the dropout masks computed inside kernels (<see cref="DropoutMask"/>): output n of a generator seeded with s is
/// <c>Mix(s + n·γ)</c>.
/// </summary>
internal static class SplitMix64
{
    /// <summary>The increment γ (2⁶⁴ / golden ratio).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The finaliser: a bijection of 64 bits whose every output bit depends on every input bit.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
