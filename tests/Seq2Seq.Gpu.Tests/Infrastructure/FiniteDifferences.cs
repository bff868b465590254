using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Central finite differences in double, and the small helpers the gradient checks share.</summary>
public static class FiniteDifferences
{
    /// <summary>Step of the central differences: small enough for the truncation error, large enough for rounding.</summary>
    public const double Step = 1e-6;

    /// <summary>d loss / d at[i] for every i, by (loss(at + step·e_i) − loss(at − step·e_i)) / (2·step).</summary>
    public static double[] Gradient(Func<double[], double> loss, double[] at)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(at);
        var grad = new double[at.Length];
        for (int i = 0; i < at.Length; i++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += Step;
            minus[i] -= Step;
            grad[i] = (loss(plus) - loss(minus)) / (2 * Step);
        }

        return grad;
    }

    /// <summary>Σ a[i]·b[i] over a's length; a loss of this form has gradient b with respect to a.</summary>
    public static double Dot(double[] a, double[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Seeded uniform values in [-1, 1).</summary>
    public static double[] Uniform(int count, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextUniform(-1, 1)).ToArray();
    }

    /// <summary>
    /// A [T, B] mask where row b is real for its first max(1, T − b) steps, then padding: lengths differ and some rows end early.
    /// </summary>
    public static int[] RaggedMask(int steps, int batch)
    {
        var mask = new int[steps * batch];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                mask[(t * batch) + b] = t < Math.Max(1, steps - b) ? 1 : 0;
            }
        }

        return mask;
    }
}
