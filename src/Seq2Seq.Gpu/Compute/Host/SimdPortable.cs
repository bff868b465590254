using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>The portable path: 128-bit vectors through the cross-platform Vector128 API (multiply-add fused where the hardware has it).</summary>
internal readonly unsafe struct SimdPortable : ISimd<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Splat(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pair(ushort* source, out Vector128<float> low, out Vector128<float> high)
    {
        var (lower, upper) = Vector128.Widen(Vector128.Load(source));
        low = Vector128.ShiftLeft(lower, 16).AsSingle();
        high = Vector128.ShiftLeft(upper, 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector128<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow2(Vector128<float> integral) =>
        Vector128.ShiftLeft(Vector128.ConvertToInt32Native(integral) + Vector128.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) =>
        Vector128.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector128<float> value) => Vector128.Sum(value);

    public static float MaxAcross(Vector128<float> value)
    {
        float max = value.GetElement(0);
        for (int i = 1; i < Vector128<float>.Count; i++)
        {
            max = MathF.Max(max, value.GetElement(i));
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstEqual(Vector128<float> a, Vector128<float> b)
    {
        uint bits = Vector128.Equals(a, b).ExtractMostSignificantBits();
        return bits == 0 ? -1 : BitOperations.TrailingZeroCount(bits);
    }

    public static void Transpose8x8(float* source, nint sourceStride, float* destination, nint destinationStride) =>
        Transposes.Scalar8x8(source, sourceStride, destination, destinationStride);

    public static double SumToDouble(float* source, int count, bool squares)
    {
        var acc0 = Vector128<double>.Zero;
        var acc1 = Vector128<double>.Zero;
        int width = Vector128<float>.Count;
        int i = 0;
        if (squares)
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector128.Widen(Vector128.Load(source + i));
                acc0 += lower * lower;
                acc1 += upper * upper;
            }
        }
        else
        {
            for (; i <= count - width; i += width)
            {
                var (lower, upper) = Vector128.Widen(Vector128.Load(source + i));
                acc0 += lower;
                acc1 += upper;
            }
        }

        double sum = Vector128.Sum(acc0 + acc1);
        for (; i < count; i++)
        {
            double x = source[i];
            sum += squares ? x * x : x;
        }

        return sum;
    }
}
