using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Numerics;

/// <summary>
/// A small seeded generator (SplitMix64) whose sequence is fixed by this code alone, so initial weights and
/// shuffles are the same on every machine and every .NET version for the same seed.
/// </summary>
internal sealed class DeterministicRandom
{
    private ulong state;
    private double? spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public DeterministicRandom(ulong seed)
    {
        state = seed;
    }

    /// <summary>Derives an independent seed from a base seed and a name (e.g. a parameter's name).</summary>
    public static ulong DeriveSeed(ulong seed, string name)
    {
        ArgumentNullException.ThrowIfNull(name);

        // FNV-1a over the UTF-16 code units: stable across runs, unlike string.GetHashCode.
        ulong hash = 14695981039346656037UL;
        foreach (char ch in name)
        {
            hash = (hash ^ ch) * 1099511628211UL;
        }

        return SplitMix64.Mix(seed ^ hash);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        state += SplitMix64.Gamma;
        return SplitMix64.Mix(state);
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform double in [low, high).</summary>
    public double NextUniform(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>Uniform integer in [0, exclusiveMax), without modulo bias (rejection sampling).</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold)
            {
                return (int)(r % bound);
            }
        }
    }

    /// <summary>Standard normal sample (Box-Muller).</summary>
    public double NextNormal()
    {
        if (spareNormal is { } spare)
        {
            spareNormal = null;
            return spare;
        }

        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = radius * Math.Sin(2 * Math.PI * u2);
        return radius * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Shuffles items in place (Fisher-Yates, from the end).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
