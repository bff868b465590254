using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Cells;

/// <summary>
/// The LSTM's recurrent activation σ, the activation of its input, forget and output gates. The hard sigmoids are
/// Keras' (its LSTM's <c>recurrent_activation="hard_sigmoid"</c>, the Keras 2.0-2.2 default), for models imported from
/// Keras; their derivative is the slope inside the linear part and 0 where they clip, so such models train too.
/// </summary>
public enum RecurrentActivation
{
    /// <summary>The logistic sigmoid 1 / (1 + e^-x) (the default, and every model's before this option existed).</summary>
    Sigmoid = GateActivations.Sigmoid,

    /// <summary>Keras 2's hard sigmoid <c>clip(0.2·x + 0.5, 0, 1)</c>.</summary>
    HardSigmoidKeras2 = GateActivations.HardSigmoidKeras2,

    /// <summary>Keras 3's hard sigmoid <c>clip(x/6 + 0.5, 0, 1)</c>.</summary>
    HardSigmoidKeras3 = GateActivations.HardSigmoidKeras3,
}
