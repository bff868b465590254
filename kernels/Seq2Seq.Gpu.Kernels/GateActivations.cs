namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The codes of the LSTM's recurrent activation σ (the activation of the i, f and o gates) that the LSTM kernels take as
/// an int: the engine's <c>RecurrentActivation</c> values are these numbers.
/// </summary>
internal static class GateActivations
{
    /// <summary>The logistic sigmoid 1 / (1 + e^-x) (the default).</summary>
    public const int Sigmoid = 0;

    /// <summary>Keras 2's hard sigmoid, <c>clip(0.2·x + 0.5, 0, 1)</c> (the Keras 2.0-2.2 LSTM default).</summary>
    public const int HardSigmoidKeras2 = 1;

    /// <summary>Keras 3's hard sigmoid, <c>clip(x/6 + 0.5, 0, 1)</c>.</summary>
    public const int HardSigmoidKeras3 = 2;

    /// <summary>The slope of a hard sigmoid inside its linear part: 0.2 (<see cref="HardSigmoidKeras2"/>) or 1/6 (<see cref="HardSigmoidKeras3"/>).</summary>
    public static float HardSlope(int activation) => activation == HardSigmoidKeras2 ? 0.2f : 1f / 6f;
}
