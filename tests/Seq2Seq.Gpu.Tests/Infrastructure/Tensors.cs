using System.Globalization;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Random test tensors and tolerance comparisons that report the worst element.</summary>
public static class Tensors
{
    /// <summary>Uniform values in ±scale from a fixed seed.</summary>
    public static float[] Random(int count, ulong seed, double scale = 1.0)
    {
        var random = new DeterministicRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)random.NextUniform(-scale, scale);
        }

        return values;
    }

    /// <summary>Random ids in [0, exclusiveMax).</summary>
    public static int[] RandomIds(int count, int exclusiveMax, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextInt(exclusiveMax)).ToArray();
    }

    /// <summary>Widens to double for the reference.</summary>
    public static double[] ToDouble(this float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>
    /// Asserts |actual - expected| ≤ atol + rtol·|expected| element-wise; on failure reports the element with the
    /// largest excess, its index, both values, and how many elements failed.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what, double atol = 1e-5, double rtol = 1e-4)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        int worst = -1;
        double worstExcess = 0;
        int failures = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            double excess = diff - (atol + (rtol * Math.Abs(expected[i])));
            if (excess > 0 || double.IsNaN(actual[i]))
            {
                failures++;
                if (worst < 0 || excess > worstExcess || double.IsNaN(actual[i]))
                {
                    worst = i;
                    worstExcess = double.IsNaN(actual[i]) ? double.PositiveInfinity : excess;
                }
            }
        }

        if (failures > 0)
        {
            Assert.Fail(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: {failures} of {actual.Length} elements outside atol {atol} + rtol {rtol}; worst at [{worst}]: actual {actual[worst]:R}, expected {expected[worst]:R}, |diff| {Math.Abs(actual[worst] - expected[worst]):E3}"));
        }
    }

    /// <summary><see cref="AssertClose(ReadOnlySpan{float}, ReadOnlySpan{double}, string, double, double)"/> for double results.</summary>
    public static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what, double atol, double rtol)
    {
        var narrowed = new float[actual.Length];
        for (int i = 0; i < actual.Length; i++)
        {
            narrowed[i] = (float)actual[i];
        }

        AssertClose(narrowed, expected, what, atol, rtol);
    }
}
