namespace Seq2Seq.Gpu.Training;

/// <summary>Scalars of one batch: the only values a training step brings back from the device.</summary>
/// <param name="LossSum">Sum of the per-position cross-entropy over counted positions.</param>
/// <param name="Correct">Counted positions whose argmax equals the target.</param>
/// <param name="Counted">Target positions that count (all of them in Keras-compatible mode).</param>
public readonly record struct BatchResult(double LossSum, double Correct, int Counted)
{
    /// <summary>Mean loss over counted positions.</summary>
    public double MeanLoss => Counted == 0 ? 0 : LossSum / Counted;

    /// <summary>Token accuracy over counted positions.</summary>
    public double Accuracy => Counted == 0 ? 0 : Correct / Counted;
}
