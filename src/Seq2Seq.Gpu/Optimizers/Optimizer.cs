using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Optimizers;

/// <summary>
/// A parameter update rule applied in one launch over a whole <see cref="WeightStore"/>. Its state lives in the
/// store's optimizer-state buffers (same layout as the weights), so checkpoints save and restore it by name.
/// </summary>
internal abstract class Optimizer
{
    /// <summary>Creates an optimizer with a learning rate.</summary>
    protected Optimizer(float learningRate)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be a positive number");
        }

        LearningRate = learningRate;
    }

    /// <summary>Short name, as on the command line (<c>rmsprop</c>, <c>adam</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Names of the state buffers, in slot order (checkpoint tensors are <c>optimizer.{state}.{parameter}</c>).</summary>
    public abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>The learning rate.</summary>
    public float LearningRate { get; }

    /// <summary>Updates applied so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Creates an optimizer by name with its Keras defaults and the given learning rate.</summary>
    public static Optimizer Create(string name, float learningRate) => name?.ToLowerInvariant() switch
    {
        "rmsprop" => new RmsPropOptimizer(learningRate),
        "adam" => new AdamOptimizer(learningRate),
        _ => throw new ArgumentException($"unknown optimizer '{name}'; expected rmsprop or adam", nameof(name)),
    };

    /// <summary>Applies one update from the store's gradients, each multiplied by <paramref name="gradScale"/> first.</summary>
    public void Step(WeightStore store, float gradScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.EnsureOptimizerSlots(StateNames.Count);
        Steps++;
        Apply(store, gradScale, Steps);
        store.MarkUpdated();
    }

    /// <summary>Sets the step count (when resuming from a checkpoint).</summary>
    public void RestoreSteps(long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        Steps = steps;
    }

    /// <summary>Launches the update for step <paramref name="stepNumber"/> (1-based).</summary>
    protected abstract void Apply(WeightStore store, float gradScale, long stepNumber);
}
