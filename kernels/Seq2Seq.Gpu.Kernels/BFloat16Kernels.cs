using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// FP32 to bfloat16 on the device, for the decoder's weight copies of <c>--precision bf16</c>: each value rounded by
/// <see cref="BFloat16Rounding"/>, the rounding the engine's host conversion (<c>Numerics.BFloat16</c>) uses too.
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
            destination[i] = BFloat16Rounding.FromSingleBits(Interop.FloatAsInt(source[i]));
        }
    }
}
