using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Elementwise tanh and its gradient, one work item per element (the attentional state <c>h̃ = tanh(W_c[c; h])</c>):
/// <see cref="Forward"/> <c>y = tanh(x)</c>; <see cref="Backward"/> <c>dx = dy·(1 − y²)</c> from the outputs y. Views
/// [count], assigned; input and output may be the same view (in place).
/// </summary>
internal static class TanhKernels
{
    /// <summary><c>output[e] = tanh(input[e])</c>.</summary>
    public static void Forward(Index1D thread, ArrayView<float> input, ArrayView<float> output, int count, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            output[e] = Activations.Tanh(input[e]);
        }
    }

    /// <summary><c>gradInput[e] = gradOutput[e]·(1 − output[e]²)</c>.</summary>
    public static void Backward(Index1D thread, ArrayView<float> output, ArrayView<float> gradOutput, ArrayView<float> gradInput, int count, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            float y = output[e];
            gradInput[e] = gradOutput[e] * (1f - (y * y));
        }
    }
}
