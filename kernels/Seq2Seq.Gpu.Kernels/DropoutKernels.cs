using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Inverted dropout, one work item per element: <c>output[e] = mask.Keeps(e) ? input[e]·mask.Scale : 0</c>. The same
/// launch is the forward pass (<c>x̃ = x·m/(1-p)</c>) and the backward pass (<c>dx = dx̃·m/(1-p)</c>), because the
/// mask is a pure function of the element index (<see cref="DropoutMask"/>). Views: input [count], output [count];
/// assigns (=); input and output may be the same view (in place).
/// </summary>
internal static class DropoutKernels
{
    /// <summary>Applies <paramref name="mask"/> to <paramref name="count"/> elements.</summary>
    public static void Apply(Index1D thread, ArrayView<float> input, ArrayView<float> output, int count, DropoutMask mask, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            output[e] = mask.Keeps(e) ? input[e] * mask.Scale : 0f;
        }
    }
}
