using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The keep-or-drop decision of inverted dropout at one site of one training step, as a pure function of the element
/// index, so the ILGPU kernel, the host loop and a test compute the same mask bit for bit and nothing has to be stored
/// between the forward and the backward pass (the backward pass draws the mask again).
/// <para>
/// The mask function: the site's stream <see cref="Key"/> folds the run's seed, the global training step and the site
/// id into 64 bits with the SplitMix64 finaliser (<see cref="Create"/>, <see cref="SplitMix64"/>); element <c>e</c> then draws
/// <c>bits = Mix(Key + (e + 1)·γ)</c>, which is the <c>(e + 1)</c>-th output of a SplitMix64 generator seeded with
/// <see cref="Key"/> (<c>DeterministicRandom</c>'s sequence), and is kept when its high 32 bits are at least
/// <see cref="Threshold"/> = round(p·2³²). The comparison is on integers, so no float rounding can make two backends
/// disagree; the kept fraction is 1 - Threshold/2³² ≈ 1 - p. A kept value is multiplied by <see cref="Scale"/> = 1/(1-p).
/// </para>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct DropoutMask : IEquatable<DropoutMask>
{
    /// <summary>Kept apart from the other uses of the run's seed (initialisation, shuffles): "dropout" in ASCII.</summary>
    private const ulong Domain = 0x74756F706F7264UL;

    /// <summary>Creates a mask from its parts (see <see cref="Create"/> for the usual way).</summary>
    public DropoutMask(ulong key, uint threshold, float scale)
    {
        Key = key;
        Threshold = threshold;
        Scale = scale;
    }

    /// <summary>The site's stream key: seed, step and site mixed together.</summary>
    public ulong Key { get; }

    /// <summary>An element is dropped when the high 32 bits of its draw are below this (0: nothing is dropped).</summary>
    public uint Threshold { get; }

    /// <summary>The factor of a kept element, 1/(1-p).</summary>
    public float Scale { get; }

    /// <summary>The mask of rate <paramref name="rate"/> (0 ≤ p &lt; 1) at <paramref name="site"/> of training step <paramref name="step"/> of the run seeded <paramref name="seed"/>.</summary>
    public static DropoutMask Create(double rate, ulong seed, long step, int site)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "the dropout rate must be in [0, 1)");
        }

        ulong key = SplitMix64.Mix(SplitMix64.Mix(SplitMix64.Mix(seed ^ Domain) + ((ulong)step * SplitMix64.Gamma)) + ((ulong)site * SplitMix64.Gamma));
        return new DropoutMask(key, ThresholdOf(rate), (float)(1.0 / (1.0 - rate)));
    }

    /// <summary>round(p·2³²), the drop threshold of rate <paramref name="rate"/> (at most 2³² - 1).</summary>
    public static uint ThresholdOf(double rate) => (uint)Math.Min(Math.Round(rate * 4294967296.0), uint.MaxValue);

    /// <summary>Whether element <paramref name="index"/> is kept.</summary>
    public bool Keeps(long index) => (uint)(SplitMix64.Mix(Key + (((ulong)index + 1UL) * SplitMix64.Gamma)) >> 32) >= Threshold;

    /// <inheritdoc />
    public bool Equals(DropoutMask other) => Key == other.Key && Threshold == other.Threshold && Scale == other.Scale;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DropoutMask other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Key, Threshold, Scale);

    /// <summary>Equality of key, threshold and scale.</summary>
    public static bool operator ==(DropoutMask left, DropoutMask right) => left.Equals(right);

    /// <summary>Inequality of key, threshold or scale.</summary>
    public static bool operator !=(DropoutMask left, DropoutMask right) => !left.Equals(right);
}
