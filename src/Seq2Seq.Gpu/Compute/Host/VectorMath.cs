using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Vectorised exp (Cephes' single-precision polynomial), sigmoid (from exp) and tanh (a rational function): relative
/// errors of a few 1e-7, within 1e-6 of <see cref="MathF"/>. NaN inputs give NaN on x64.
/// </summary>
/// <typeparam name="TS">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
[SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "Specialised per instruction set.")]
internal static class VectorMath<TS, TV>
    where TS : struct, ISimd<TV>
    where TV : unmanaged
{
    /// <summary>e^x; 0 below -87.3 (where the result would be subnormal), clamped at x = 88.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp(TV x)
    {
        // Operand order: the x64 min/max return their second operand when one is NaN, so NaN stays NaN.
        TV lowest = TS.Splat(-87.33654f);
        TV under = TS.LessThan(x, lowest);
        x = TS.Min(TS.Splat(88f), x);
        x = TS.Max(lowest, x);

        // x = n·ln2 + r, |r| <= ln2/2, with ln2 split in two for an exact reduction.
        TV n = TS.Round(TS.Multiply(x, TS.Splat(1.44269504088896341f)));
        TV r = TS.MultiplyAdd(n, TS.Splat(-0.693359375f), x);
        r = TS.MultiplyAdd(n, TS.Splat(2.12194440e-4f), r);

        TV p = TS.Splat(1.9875691500e-4f);
        p = TS.MultiplyAdd(p, r, TS.Splat(1.3981999507e-3f));
        p = TS.MultiplyAdd(p, r, TS.Splat(8.3334519073e-3f));
        p = TS.MultiplyAdd(p, r, TS.Splat(4.1665795894e-2f));
        p = TS.MultiplyAdd(p, r, TS.Splat(1.6666665459e-1f));
        p = TS.MultiplyAdd(p, r, TS.Splat(5.0000001201e-1f));
        TV y = TS.Add(TS.MultiplyAdd(p, TS.Multiply(r, r), r), TS.Splat(1f));
        return TS.Select(under, TS.Zero, TS.Multiply(y, TS.Pow2(n)));
    }

    /// <summary>1 / (1 + e^-x), computed as e/(1+e) with e = e^x for negative x (no overflow, full relative precision).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid(TV x)
    {
        TV one = TS.Splat(1f);
        TV e = Exp(TS.Subtract(TS.Zero, TS.Abs(x)));
        TV numerator = TS.Select(TS.LessThan(x, TS.Zero), e, one);
        return TS.Divide(numerator, TS.Add(one, e));
    }

    /// <summary>
    /// tanh x as a rational function of x on [-7.9, 7.9] (Eigen's float approximation, relative error below 3e-7;
    /// |x| beyond 7.9 gives ±1 to within 3e-7).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh(TV x)
    {
        TV limit = TS.Splat(7.90531110763549805f);
        x = TS.Min(limit, x);
        x = TS.Max(TS.Subtract(TS.Zero, limit), x);
        TV x2 = TS.Multiply(x, x);

        TV p = TS.MultiplyAdd(x2, TS.Splat(-2.76076847742355e-16f), TS.Splat(2.00018790482477e-13f));
        p = TS.MultiplyAdd(p, x2, TS.Splat(-8.60467152213735e-11f));
        p = TS.MultiplyAdd(p, x2, TS.Splat(5.12229709037114e-08f));
        p = TS.MultiplyAdd(p, x2, TS.Splat(1.48572235717979e-05f));
        p = TS.MultiplyAdd(p, x2, TS.Splat(6.37261928875436e-04f));
        p = TS.MultiplyAdd(p, x2, TS.Splat(4.89352455891786e-03f));
        p = TS.Multiply(p, x);

        TV q = TS.MultiplyAdd(x2, TS.Splat(1.19825839466702e-06f), TS.Splat(1.18534705686654e-04f));
        q = TS.MultiplyAdd(q, x2, TS.Splat(2.26843463243900e-03f));
        q = TS.MultiplyAdd(q, x2, TS.Splat(4.89352518554385e-03f));
        return TS.Divide(p, q);
    }
}
