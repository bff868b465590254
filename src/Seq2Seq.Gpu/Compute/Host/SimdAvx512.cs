using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>The AVX-512 path: 512-bit vectors.</summary>
internal readonly unsafe struct SimdAvx512 : ISimd<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pair(ushort* source, out Vector512<float> low, out Vector512<float> high)
    {
        var (lower, upper) = Vector512.Widen(Vector512.Load(source));
        low = Vector512.ShiftLeft(lower, 16).AsSingle();
        high = Vector512.ShiftLeft(upper, 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2(Vector512<float> integral) =>
        Vector512.ShiftLeft(Vector512.ConvertToInt32Native(integral) + Vector512.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector512<float> value) => Vector512.Sum(value);

    public static float MaxAcross(Vector512<float> value)
    {
        float max = value.GetElement(0);
        for (int i = 1; i < Vector512<float>.Count; i++)
        {
            max = MathF.Max(max, value.GetElement(i));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstEqual(Vector512<float> a, Vector512<float> b)
    {
        ulong bits = Vector512.Equals(a, b).ExtractMostSignificantBits();
        return bits == 0 ? -1 : BitOperations.TrailingZeroCount(bits);
    }

    public static void Transpose8x8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        if (!Avx.IsSupported)
        {
            Transposes.Scalar8x8(source, sourceStride, destination, destinationStride);
            return;
        }

        Transposes.Avx8x8(source, sourceStride, destination, destinationStride);
    }

    public static double SumToDouble(float* source, int count, bool squares)
    {
        var acc0 = Vector512<double>.Zero;
        var acc1 = Vector512<double>.Zero;
        int width = Vector512<float>.Count;
        int i = 0;
        if (squares)
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector512.Widen(Vector512.Load(source + i));
                acc0 += lower * lower;
                acc1 += upper * upper;
            }
        }
        else
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector512.Widen(Vector512.Load(source + i));
                acc0 += lower;
                acc1 += upper;
            }
        }

        double sum = Vector512.Sum(acc0 + acc1);
        for (; i < count; i++)
        {
            double x = source[i];
            sum += squares ? x * x : x;
        }

        return sum;
    }
}
