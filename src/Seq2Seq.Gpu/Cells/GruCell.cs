using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Cells;

/// <summary>
/// The GRU cell (see <see cref="CellKind.Gru"/>), Keras' <c>reset_after=True</c> form. The reset gate multiplies the
/// recurrent part of n, so each step needs <c>gh = h·U + b_recurrent</c> apart from the input part: per step a product
/// with the bias into gh, then <see cref="DeviceOps.GruForward"/>. gh is kept [T, B, 3H] for the backward pass, whose
/// recurrent gate gradient differs from the input one in the n block (<c>dn·r</c> against <c>dn</c>).
/// </summary>
internal sealed class GruCell : IRecurrentCell
{
    public CellKind Kind => CellKind.Gru;

    public string Name => "gru";

    public int GateCount => GruGates.Count;

    public bool HasCellState => false;

    public bool HasPersistentDecoder => false;

    public bool KeepsRecurrentGates => true;

    /// <summary>Keras initialises a GRU's bias to zeros.</summary>
    public ParameterInit BiasInit => ParameterInit.Zeros;

    public int[] BiasShape(int hidden) => [2, GruGates.Count * hidden];

    public ArrayView<float> InputBias(ArrayView<float> bias, int hidden) => bias.SubView(0, (long)GateCount * hidden);

    public void Forward(DeviceOps ops, in CellSequence sequence, ArrayView<int>? mask, int steps, int batch, int hidden)
    {
        int gates = GateCount * hidden;
        long state = (long)batch * hidden;
        long stepGates = state * GateCount;
        var recurrentBias = RecurrentBias(sequence.Weights.Bias, hidden);
        using var u = ops.PrepareRight(sequence.Weights.RecurrentKernel, hidden, gates, transposed: false);
        for (int t = 0; t < steps; t++)
        {
            var gh = sequence.RecurrentGates.SubView(t * stepGates, stepGates);
            var h = sequence.Hidden.SubView(t * state, state);
            ops.MatMul(h, u, recurrentBias, gh, new MatMulShape(batch, gates, hidden, hasBias: true));
            ops.GruForward(sequence.Gates.SubView(t * stepGates, stepGates), gh, h, sequence.Hidden.SubView((t + 1) * state, state), mask?.SubView((long)t * batch, batch), batch, hidden);
        }
    }

    public void Backward(DeviceOps ops, in CellSequence sequence, in CellBackward backward, ArrayView<int>? mask, int steps, int batch, int hidden)
    {
        int gates = GateCount * hidden;
        int rows = steps * batch;
        long state = (long)batch * hidden;
        long stepGates = state * GateCount;
        using var uTransposed = ops.PrepareRight(sequence.Weights.RecurrentKernel, gates, hidden, transposed: true);
        for (int t = steps - 1; t >= 0; t--)
        {
            var dRecurrent = backward.DRecurrentGates.SubView(t * stepGates, stepGates);
            ops.GruBackward(
                sequence.Gates.SubView(t * stepGates, stepGates), sequence.RecurrentGates.SubView(t * stepGates, stepGates), sequence.Hidden.SubView(t * state, state),
                backward.DExternal?.SubView(t * state, state), backward.DhCarry, backward.DInputGates.SubView(t * stepGates, stepGates), dRecurrent, mask?.SubView((long)t * batch, batch), batch, hidden);

            // dh_prev = the bypass dh·z (left in the carry) + dgh·Uᵀ.
            ops.MatMul(dRecurrent, uTransposed, null, backward.DhCarry, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
        }

        var dAll = backward.DRecurrentGates.SubView(0, (long)rows * gates);
        ops.MatMul(sequence.Hidden.SubView(0, (long)rows * hidden), dAll, null, backward.Gradients.RecurrentKernel, new MatMulShape(hidden, gates, rows, transposeA: true, accumulate: true));
        ops.ColumnSum(dAll, RecurrentBias(backward.Gradients.Bias, hidden), rows, gates, accumulate: true);
    }

    public void Step(DeviceOps ops, in CellStep step, int batch, int hidden)
    {
        ops.MatMul(step.Hidden, step.Recurrent, RecurrentBias(step.Bias, hidden), step.RecurrentGates, new MatMulShape(batch, GateCount * hidden, hidden, hasBias: true));
        ops.GruForward(step.Gates, step.RecurrentGates, step.Hidden, step.NextHidden, null, batch, hidden);
    }

    /// <summary>Row 1 of the bias [2, 3H]: the part added to h·U.</summary>
    private ArrayView<float> RecurrentBias(ArrayView<float> bias, int hidden) => bias.SubView((long)GateCount * hidden, (long)GateCount * hidden);
}
