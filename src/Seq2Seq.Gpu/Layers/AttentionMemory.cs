using ILGPU;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// What <see cref="LuongAttention"/> attends over, all [Ts, B, H]: the encoder's outputs ē, the keys (ē itself for dot
/// attention, ē·W_a for general) and the values ē·W_c[0:H], the context's half of the combine product moved onto the
/// memory (see <see cref="LuongAttention"/> for why).
/// </summary>
/// <param name="Outputs">The encoder's outputs ē [Ts, B, H].</param>
/// <param name="Keys">The keys the scores are taken against [Ts, B, H].</param>
/// <param name="Values">ē·W_c[0:H] [Ts, B, H].</param>
internal readonly record struct AttentionMemory(ArrayView<float> Outputs, ArrayView<float> Keys, ArrayView<float> Values);
