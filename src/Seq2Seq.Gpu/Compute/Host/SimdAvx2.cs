using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>The AVX2 + FMA path: 256-bit vectors.</summary>
internal readonly unsafe struct SimdAvx2 : ISimd<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Splat(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pair(ushort* source, out Vector256<float> low, out Vector256<float> high)
    {
        var (lower, upper) = Vector256.Widen(Vector256.Load(source));
        low = Vector256.ShiftLeft(lower, 16).AsSingle();
        high = Vector256.ShiftLeft(upper, 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow2(Vector256<float> integral) =>
        Vector256.ShiftLeft(Vector256.ConvertToInt32Native(integral) + Vector256.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector256<float> value) => Vector256.Sum(value);

    public static float MaxAcross(Vector256<float> value)
    {
        float max = value.GetElement(0);
        for (int i = 1; i < Vector256<float>.Count; i++)
        {
            max = MathF.Max(max, value.GetElement(i));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstEqual(Vector256<float> a, Vector256<float> b)
    {
        uint bits = Vector256.Equals(a, b).ExtractMostSignificantBits();
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
        var acc0 = Vector256<double>.Zero;
        var acc1 = Vector256<double>.Zero;
        int width = Vector256<float>.Count;
        int i = 0;
        if (squares)
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Load(source + i));
                acc0 += lower * lower;
                acc1 += upper * upper;
            }
        }
        else
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Load(source + i));
                acc0 += lower;
                acc1 += upper;
            }
        }

        double sum = Vector256.Sum(acc0 + acc1);
        for (; i < count; i++)
        {
            double x = source[i];
            sum += squares ? x * x : x;
        }

        return sum;
    }
}
