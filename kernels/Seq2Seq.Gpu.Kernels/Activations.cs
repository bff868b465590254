using ILGPU.Algorithms;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Scalar activations shared by the kernels. <see cref="XMath"/> maps to the fast device intrinsics on CUDA and
/// to <see cref="MathF"/> on the CPU accelerator, so one definition serves both.
/// </summary>
internal static class Activations
{
    /// <summary>Logistic sigmoid 1 / (1 + e^-x), written so that it neither overflows nor loses precision.</summary>
    public static float Sigmoid(float x)
    {
        // For x < 0, e^x / (1 + e^x) avoids e^-x overflowing to infinity.
        if (x >= 0f)
        {
            return 1f / (1f + XMath.Exp(-x));
        }

        float e = XMath.Exp(x);
        return e / (1f + e);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public static float Tanh(float x) => XMath.Tanh(x);
}
