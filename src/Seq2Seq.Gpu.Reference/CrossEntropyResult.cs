namespace Seq2Seq.Gpu.Reference;

/// <summary>Per-row softmax cross-entropy results.</summary>
/// <param name="RowLoss">-log p(target) per row, 0 for ignored rows, [N].</param>
/// <param name="RowCorrect">1 where argmax equals the target, [N].</param>
/// <param name="Gradient">(softmax - onehot)·scale, zero for ignored rows, [N, V].</param>
public sealed record CrossEntropyResult(double[] RowLoss, double[] RowCorrect, double[] Gradient);
