namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The one FP32-to-bfloat16 rounding of the engine, on bits, for the device kernel (<see cref="BFloat16Kernels.FromSingle"/>)
/// and the host conversion alike: round to nearest, ties to even, by adding 0x7FFF plus the lowest kept bit and keeping
/// the upper 16 bits (a carry out of the fraction bumps the exponent, up to infinity for the largest finite values);
/// infinities and zeros keep their bits; a NaN stays a NaN with its quiet bit forced, since its payload may live only
/// in the dropped bits and would otherwise truncate to an infinity.
/// </summary>
internal static class BFloat16Rounding
{
    /// <summary>The bfloat16 nearest to the single whose bits are <paramref name="bits"/>.</summary>
    public static ushort FromSingleBits(uint bits) =>
        (bits & 0x7FFF_FFFFu) > 0x7F80_0000u
            ? (ushort)((bits >> 16) | 0x0040u)
            : (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}
