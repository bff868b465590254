using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// FP32 to bfloat16 on the device, for the decoder's weight copies of <c>--precision bf16</c>: each value rounded to
/// the nearest bfloat16, ties to even (add 0x7FFF plus the lowest kept bit, keep the upper 16 bits; a carry out of
/// the fraction bumps the exponent, up to infinity); a NaN stays a NaN with its quiet bit forced, since its payload
/// may live only in the dropped bits. The same bits as the engine's host conversion (<c>Numerics.BFloat16</c>).
/// Views: source [count] (read), destination [count] (assigned).
/// </summary>
internal static class BFloat16Kernels
{
    /// <summary>Narrows a chunk of values a thread.</summary>
    public static void FromSingle(Index1D thread, ArrayView<float> source, ArrayView<ushort> destination, int count, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int i = LaunchChunk.Begin(thread, chunk); i < end; i++)
        {
            uint bits = (uint)Interop.FloatAsInt(source[i]);
            destination[i] = (bits & 0x7FFF_FFFFu) > 0x7F80_0000u
                ? (ushort)((bits >> 16) | 0x0040u)
                : (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }
    }
}
