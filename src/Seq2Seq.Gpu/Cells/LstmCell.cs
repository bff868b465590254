using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Cells;

/// <summary>
/// The LSTM cell (see <see cref="CellKind.Lstm"/>). Its whole recurrence is one device operation
/// (<see cref="DeviceOps.LstmForwardSequence(ArrayView{float}, PreparedRightOperand, ArrayView{float}, ArrayView{float}, ArrayView{int}?, int, int, int, RecurrentActivation)"/>),
/// which runs as one persistent kernel, fused steps or per-operation steps as the device's policy says. Its gate
/// gradient is the same for the input and the recurrent side, so <see cref="CellBackward.DInputGates"/> serves both.
/// Its i, f and o gates use <paramref name="activation"/>.
/// </summary>
internal sealed class LstmCell(RecurrentActivation activation = RecurrentActivation.Sigmoid) : IRecurrentCell
{
    public RecurrentActivation Activation => activation;

    public CellKind Kind => CellKind.Lstm;

    public string Name => "lstm";

    public int GateCount => LstmGates.Count;

    public bool HasCellState => true;

    public bool HasPersistentDecoder => true;

    public bool KeepsRecurrentGates => false;

    public ParameterInit BiasInit => ParameterInit.LstmBias;

    public int[] BiasShape(int hidden) => [LstmGates.Count * hidden];

    public ArrayView<float> InputBias(ArrayView<float> bias, int hidden) => bias;

    public void Forward(DeviceOps ops, in CellSequence sequence, ArrayView<int>? mask, int steps, int batch, int hidden)
    {
        // U is read by every step of the pass: prepared once (packed once on the host kernels).
        using var u = ops.PrepareRight(sequence.Weights.RecurrentKernel, hidden, GateCount * hidden, transposed: false);
        ops.LstmForwardSequence(sequence.Gates, u, sequence.Cells, sequence.Hidden, mask, steps, batch, hidden, activation);
    }

    public void Backward(DeviceOps ops, in CellSequence sequence, in CellBackward backward, ArrayView<int>? mask, int steps, int batch, int hidden)
    {
        int gates = GateCount * hidden;
        int rows = steps * batch;
        using var uTransposed = ops.PrepareRight(sequence.Weights.RecurrentKernel, gates, hidden, transposed: true);
        ops.LstmBackwardSequence(sequence.Gates, uTransposed, sequence.Cells, backward.DExternal, backward.DhCarry, backward.DcCarry, backward.DInputGates, mask, steps, batch, hidden, activation);

        // Each step added the recurrent gradient of the step after it; the first step's goes into the initial state.
        if (steps > 0)
        {
            ops.MatMul(backward.DInputGates.SubView(0, (long)batch * gates), uTransposed, null, backward.DhCarry, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
        }

        ops.MatMul(sequence.Hidden.SubView(0, (long)rows * hidden), backward.DInputGates, null, backward.Gradients.RecurrentKernel, new MatMulShape(hidden, gates, rows, transposeA: true, accumulate: true));
    }

    public void Step(DeviceOps ops, in CellStep step, int batch, int hidden) =>
        ops.LstmForwardStep(step.Gates, step.Recurrent, step.Cells, step.Hidden, step.NextCells, step.NextHidden, null, batch, hidden, activation);
}
