using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Numerics;

/// <summary>
/// bfloat16 as bits: the upper 16 bits of an IEEE single (sign, the same 8 exponent bits, 7 stored fraction bits).
/// Widening is exact (the bits shifted back up, the low 16 zero); narrowing rounds to nearest, ties to even, so the
/// relative error of one conversion is at most 2⁻⁸. Infinities and zeros (negative zero included) keep their
/// bits; a NaN stays a NaN (quiet, its sign kept) rather than rounding into an infinity.
/// </summary>
internal static class BFloat16
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even), as its 16 bits.</summary>
    /// <remarks>The rounding is <see cref="BFloat16Rounding"/>'s, shared with the device kernel.</remarks>
    public static ushort FromSingle(float value) => BFloat16Rounding.FromSingleBits(BitConverter.SingleToUInt32Bits(value));

    /// <summary>The single that <paramref name="bits"/> encode (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Narrows every value of <paramref name="source"/> into <paramref name="destination"/> (at least as long).</summary>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"bfloat16 destination of {destination.Length} values is shorter than the {source.Length} values to convert", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = FromSingle(source[i]);
        }
    }
}
