namespace Seq2Seq.Gpu.Training;

/// <summary>The parameter update rule of a training run (<see cref="TrainerOptions.Optimizer"/>), each with Keras' defaults.</summary>
public enum OptimizerKind
{
    /// <summary>RMSprop (ρ 0.9, ε 1e-7): Keras' choice in its seq2seq example. On the command line, <c>rmsprop</c>.</summary>
    RmsProp,

    /// <summary>Adam (β1 0.9, β2 0.999, ε 1e-7, Keras' form of the bias correction). On the command line, <c>adam</c>.</summary>
    Adam,
}
