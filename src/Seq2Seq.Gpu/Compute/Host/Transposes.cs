using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>Block transposes for packing matrix operands.</summary>
internal static unsafe class Transposes
{
    /// <summary><c>destination[j·dstStride + i] = source[i·srcStride + j]</c>, one element at a time.</summary>
    public static void Scalar8x8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        for (int i = 0; i < 8; i++)
        {
            float* row = source + (i * sourceStride);
            for (int j = 0; j < 8; j++)
            {
                destination[(j * destinationStride) + i] = row[j];
            }
        }
    }

    /// <summary>The same with AVX shuffles: 24 shuffles for 64 elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Avx8x8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + (2 * sourceStride));
        var r3 = Avx.LoadVector256(source + (3 * sourceStride));
        var r4 = Avx.LoadVector256(source + (4 * sourceStride));
        var r5 = Avx.LoadVector256(source + (5 * sourceStride));
        var r6 = Avx.LoadVector256(source + (6 * sourceStride));
        var r7 = Avx.LoadVector256(source + (7 * sourceStride));

        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + (2 * destinationStride), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + (3 * destinationStride), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + (4 * destinationStride), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + (5 * destinationStride), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + (6 * destinationStride), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + (7 * destinationStride), Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Six rows of four floats (<c>source[i·sourceStride + j]</c>, i &lt; 6, j &lt; 4) as four rows of six, contiguous:
    /// <c>destination[j·6 + i]</c>. A 4×4 transpose of rows 0-3 and rows 4-5 interleaved, with SSE shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sse6x4(float* source, nint sourceStride, float* destination)
    {
        var r0 = Sse.LoadVector128(source);
        var r1 = Sse.LoadVector128(source + sourceStride);
        var r2 = Sse.LoadVector128(source + (2 * sourceStride));
        var r3 = Sse.LoadVector128(source + (3 * sourceStride));
        var r4 = Sse.LoadVector128(source + (4 * sourceStride));
        var r5 = Sse.LoadVector128(source + (5 * sourceStride));
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1);
        var t3 = Sse.UnpackHigh(r2, r3);
        var u0 = Sse.UnpackLow(r4, r5);
        var u1 = Sse.UnpackHigh(r4, r5);
        Sse.Store(destination, Sse.MoveLowToHigh(t0, t1));
        Sse.StoreLow(destination + 4, u0);
        Sse.Store(destination + 6, Sse.MoveHighToLow(t1, t0));
        Sse.StoreHigh(destination + 10, u0);
        Sse.Store(destination + 12, Sse.MoveLowToHigh(t2, t3));
        Sse.StoreLow(destination + 16, u1);
        Sse.Store(destination + 18, Sse.MoveHighToLow(t3, t2));
        Sse.StoreHigh(destination + 22, u1);
    }
}
