using ILGPU;
using ILGPU.Algorithms;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Parameter updates over the whole parameter buffer in one launch; one work item per parameter. The weight,
/// gradient and state views share one layout (the weight store's), so element e of each belongs to the same
/// parameter. All views [count]; weights and states are updated in place, gradients are read.
/// <list type="bullet">
/// <item><see cref="RmsProp"/> (Keras): <c>g *= gradScale; v = ρ·v + (1-ρ)·g²; w -= lr·g / (sqrt(v) + ε)</c>.</item>
/// <item><see cref="Adam"/>: <c>g *= s; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; w -= stepSize·m / (sqrt(v) + ε)</c> (see <see cref="AdamStep"/>).</item>
/// </list>
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>One RMSprop step over every parameter.</summary>
    public static void RmsProp(
        Index1D thread,
        ArrayView<float> weights,
        ArrayView<float> gradients,
        ArrayView<float> meanSquare,
        int count,
        float learningRate,
        float rho,
        float epsilon,
        float gradScale,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            float g = gradients[e] * gradScale;
            float v = (rho * meanSquare[e]) + ((1f - rho) * g * g);
            meanSquare[e] = v;
            weights[e] -= learningRate * g / (XMath.Sqrt(v) + epsilon);
        }
    }

    /// <summary>One Adam step over every parameter.</summary>
    public static void Adam(
        Index1D thread,
        ArrayView<float> weights,
        ArrayView<float> gradients,
        ArrayView<float> firstMoment,
        ArrayView<float> secondMoment,
        int count,
        AdamStep step,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            float g = gradients[e] * step.GradScale;
            float m = (step.Beta1 * firstMoment[e]) + ((1f - step.Beta1) * g);
            float v = (step.Beta2 * secondMoment[e]) + ((1f - step.Beta2) * g * g);
            firstMoment[e] = m;
            secondMoment[e] = v;
            weights[e] -= step.StepSize * m / (XMath.Sqrt(v) + step.Epsilon);
        }
    }
}
