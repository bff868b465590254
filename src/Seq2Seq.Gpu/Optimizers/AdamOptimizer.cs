using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Parameters;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Optimizers;

/// <summary>Adam with Keras' defaults and Keras' form of the bias correction (see <see cref="AdamStep"/>).</summary>
internal sealed class AdamOptimizer : Optimizer
{
    private static readonly string[] States = ["m", "v"];

    /// <summary>Creates the optimizer (Keras defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-7).</summary>
    public AdamOptimizer(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <inheritdoc />
    public override OptimizerKind Kind => OptimizerKind.Adam;

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => States;

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to sqrt(v).</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    protected override void Apply(WeightStore store, float gradScale, long stepNumber)
    {
        double stepSize = LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, stepNumber)) / (1 - Math.Pow(Beta1, stepNumber));
        store.Device.Ops.Adam(
            store.Weights.View, store.Gradients.View, store.OptimizerState(0).View, store.OptimizerState(1).View,
            new AdamStep((float)stepSize, Beta1, Beta2, Epsilon, gradScale));
    }
}
