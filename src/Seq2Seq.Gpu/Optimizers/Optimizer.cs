using Seq2Seq.Gpu.Parameters;
using Seq2Seq.Gpu.Training;

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

    /// <summary>Which update rule this is.</summary>
    public abstract OptimizerKind Kind { get; }

    /// <summary>Short name, as on the command line and in checkpoints (<c>rmsprop</c>, <c>adam</c>).</summary>
    public string Name => NameOf(Kind);

    /// <summary>Names of the state buffers, in slot order (checkpoint tensors are <c>optimizer.{state}.{parameter}</c>).</summary>
    public abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>The learning rate.</summary>
    public float LearningRate { get; }

    /// <summary>Updates applied so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Creates an optimizer of a kind with its Keras defaults and the given learning rate.</summary>
    public static Optimizer Create(OptimizerKind kind, float learningRate) => kind switch
    {
        OptimizerKind.RmsProp => new RmsPropOptimizer(learningRate),
        OptimizerKind.Adam => new AdamOptimizer(learningRate),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer kind; expected RmsProp or Adam"),
    };

    /// <summary>Creates an optimizer by name (<see cref="ParseKind"/>) with its Keras defaults and the given learning rate.</summary>
    public static Optimizer Create(string name, float learningRate) => Create(ParseKind(name), learningRate);

    /// <summary>The short name of a kind (<c>rmsprop</c>, <c>adam</c>): the one spelling of the command line and of checkpoints.</summary>
    public static string NameOf(OptimizerKind kind) => kind switch
    {
        OptimizerKind.RmsProp => "rmsprop",
        OptimizerKind.Adam => "adam",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer kind; expected RmsProp or Adam"),
    };

    /// <summary>The kind a short name spells (case-insensitive); an <see cref="ArgumentException"/> naming it when it spells none.</summary>
    public static OptimizerKind ParseKind(string? name)
    {
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            if (string.Equals(NameOf(kind), name, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new ArgumentException($"unknown optimizer '{name}'; expected rmsprop or adam", nameof(name));
    }

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
