using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Scalars of one Adam update, computed on the host for step t:
/// <c>w -= StepSize · m / (sqrt(v) + Epsilon)</c> with <c>StepSize = lr·sqrt(1 - β2^t) / (1 - β1^t)</c> (Keras' form
/// of the bias correction) and gradients multiplied by <see cref="GradScale"/> (the clipping factor) first.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct AdamStep : IEquatable<AdamStep>
{
    /// <summary>Creates the scalars of one update.</summary>
    public AdamStep(float stepSize, float beta1, float beta2, float epsilon, float gradScale)
    {
        StepSize = stepSize;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        GradScale = gradScale;
    }

    /// <summary>Bias-corrected learning rate of this step.</summary>
    public float StepSize { get; }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to sqrt(v) in the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>Factor applied to every gradient before use (1, or the global-norm clipping factor).</summary>
    public float GradScale { get; }

    /// <inheritdoc />
    public bool Equals(AdamStep other) =>
        StepSize == other.StepSize && Beta1 == other.Beta1 && Beta2 == other.Beta2 &&
        Epsilon == other.Epsilon && GradScale == other.GradScale;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AdamStep other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StepSize, Beta1, Beta2, Epsilon, GradScale);

    /// <summary>Equality of all scalars.</summary>
    public static bool operator ==(AdamStep left, AdamStep right) => left.Equals(right);

    /// <summary>Inequality of any scalar.</summary>
    public static bool operator !=(AdamStep left, AdamStep right) => !left.Equals(right);
}
