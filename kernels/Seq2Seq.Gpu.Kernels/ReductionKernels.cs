using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Deterministic two-stage sums in double (no atomics, so a sum is bit-identical from run to run, and accumulated as
/// the host kernels accumulate it). Stage one (<see cref="PartialSums"/>): <c>partials[t] = Σ f(input[e])</c> over
/// thread t's chunk, with f the identity or the square; stage two (<see cref="SumPartials"/>): one thread adds the
/// partials in order. Views: input [count] (read), partials [threads] (assigned), total [1] (assigned). Used for the
/// loss, the correct-token count and the global gradient norm.
/// </summary>
internal static class ReductionKernels
{
    /// <summary>Sums (or sums the squares of, when <paramref name="square"/> is 1) each thread's chunk in double.</summary>
    public static void PartialSums(
        Index1D thread,
        ArrayView<float> input,
        ArrayView<double> partials,
        int count,
        int square,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        double sum = 0;
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            double x = input[e];
            sum += square != 0 ? x * x : x;
        }

        partials[thread] = sum;
    }

    /// <summary>Adds the first <paramref name="count"/> partials in order into total[0]; launched with one thread.</summary>
    public static void SumPartials(Index1D thread, ArrayView<double> partials, ArrayView<double> total, int count)
    {
        double sum = 0;
        for (int e = 0; e < count; e++)
        {
            sum += partials[e];
        }

        total[thread] = sum;
    }
}
