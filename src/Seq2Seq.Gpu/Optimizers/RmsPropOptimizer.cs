using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Parameters;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Optimizers;

/// <summary>RMSprop with Keras' defaults: <c>v = ρv + (1-ρ)g²; w -= lr·g / (sqrt(v) + ε)</c>.</summary>
internal sealed class RmsPropOptimizer : Optimizer
{
    private static readonly string[] States = ["mean_square"];

    /// <summary>Creates the optimizer (Keras defaults: lr 1e-3, ρ 0.9, ε 1e-7).</summary>
    public RmsPropOptimizer(float learningRate = 1e-3f, float rho = 0.9f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        Rho = rho;
        Epsilon = epsilon;
    }

    /// <inheritdoc />
    public override OptimizerKind Kind => OptimizerKind.RmsProp;

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => States;

    /// <summary>Decay of the mean square.</summary>
    public float Rho { get; }

    /// <summary>Added to the root mean square.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    protected override void Apply(WeightStore store, float gradScale, long stepNumber) =>
        store.Device.Ops.RmsProp(store.Weights.View, store.Gradients.View, store.OptimizerState(0).View, LearningRate, Rho, Epsilon, gradScale);
}
