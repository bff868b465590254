using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Deterministic two-stage sums (no atomics, so a sum is bit-identical from run to run). Stage one:
/// <c>partials[t] = Σ f(input[e])</c> over thread t's chunk, with f the identity or the square; stage two runs the
/// same kernel on the partials with a single thread. Views: input [count] (read), partials [threads] (assigned).
/// Used for the loss, the correct-token count and the global gradient norm.
/// </summary>
public static class ReductionKernels
{
    /// <summary>Sums (or sums the squares of, when <paramref name="square"/> is 1) each thread's chunk.</summary>
    public static void PartialSums(
        Index1D thread,
        ArrayView<float> input,
        ArrayView<float> partials,
        int count,
        int square,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        float sum = 0f;
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            float x = input[e];
            sum += square != 0 ? x * x : x;
        }

        partials[thread] = sum;
    }
}
