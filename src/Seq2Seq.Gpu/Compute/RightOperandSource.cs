using ILGPU;

namespace Seq2Seq.Gpu.Compute;

/// <summary>One matrix to prepare as a right operand: op(B) [K, N], stored [K, N] or, when transposed, [N, K].</summary>
internal readonly record struct RightOperandSource(ArrayView<float> View, int K, int N, bool Transposed);
