using System.Diagnostics.CodeAnalysis;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The vector operations the host kernels are written against, one implementation per instruction set. Generic code
/// constrained to a struct implementation is specialised by the JIT, so every call below compiles to the plain
/// instruction(s) of that set.
/// </summary>
/// <typeparam name="TV">The vector type (Vector128/256/512 of float).</typeparam>
[SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "Static abstract interface members are the point.")]
internal unsafe interface ISimd<TV>
    where TV : unmanaged
{
    /// <summary>Floats a vector holds.</summary>
    static abstract int Width { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TV Zero { get; }

    /// <summary>All lanes set to <paramref name="value"/>.</summary>
    static abstract TV Splat(float value);

    /// <summary>Unaligned load of <see cref="Width"/> floats.</summary>
    static abstract TV Load(float* source);

    /// <summary>
    /// Loads 2·<see cref="Width"/> bfloat16 values (unaligned) and widens them exactly to floats: each value's 16 bits
    /// zero-extended to 32 and shifted up by 16 (a bfloat16 is the upper half of a single).
    /// </summary>
    static abstract void LoadBFloat16Pair(ushort* source, out TV low, out TV high);

    /// <summary>Unaligned store of <see cref="Width"/> floats.</summary>
    static abstract void Store(float* destination, TV value);

    /// <summary>a + b.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a - b.</summary>
    static abstract TV Subtract(TV a, TV b);

    /// <summary>a · b.</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a / b (IEEE).</summary>
    static abstract TV Divide(TV a, TV b);

    /// <summary>a · b + c, fused where the instruction set has FMA.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>Lane-wise minimum as the hardware computes it (x64: the second operand when either is NaN).</summary>
    static abstract TV Min(TV a, TV b);

    /// <summary>Lane-wise maximum as the hardware computes it (x64: the second operand when either is NaN).</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>Square root (IEEE).</summary>
    static abstract TV Sqrt(TV a);

    /// <summary>Absolute value.</summary>
    static abstract TV Abs(TV a);

    /// <summary>Rounds to the nearest integer (ties to even).</summary>
    static abstract TV Round(TV a);

    /// <summary>2^n for lanes holding integral values n in [-126, 127].</summary>
    static abstract TV Pow2(TV integral);

    /// <summary>All-ones lanes where a &lt; b, zero elsewhere.</summary>
    static abstract TV LessThan(TV a, TV b);

    /// <summary>Lanes of <paramref name="whenTrue"/> where the mask is set, else of <paramref name="whenFalse"/>.</summary>
    static abstract TV Select(TV mask, TV whenTrue, TV whenFalse);

    /// <summary>Sum of the lanes, in a fixed order.</summary>
    static abstract float SumAcross(TV value);

    /// <summary>Largest lane.</summary>
    static abstract float MaxAcross(TV value);

    /// <summary>Index of the first lane where a == b, or -1.</summary>
    static abstract int FirstEqual(TV a, TV b);

    /// <summary>Transposes an 8×8 block: <c>destination[j·dstStride + i] = source[i·srcStride + j]</c>.</summary>
    static abstract void Transpose8x8(float* source, nint sourceStride, float* destination, nint destinationStride);

    /// <summary>Σ x (or Σ x²) over <paramref name="count"/> floats, accumulated in double in a fixed order.</summary>
    static abstract double SumToDouble(float* source, int count, bool squares);
}
