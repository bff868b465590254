using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// Every device operation of the engine, once: implemented by the ILGPU kernels (<see cref="Ilgpu.IlgpuBackend"/>)
/// and by the host SIMD kernels (<see cref="Host.HostComputeBackend"/>). <see cref="DeviceOps"/> checks every view
/// against its shape before calling, so a backend may assume valid, long-enough views and ids inside their tables.
/// The meaning of each operation, its accumulation precision included, is the same on every backend; the table of
/// docs/design.md ("Operations and their numerics") writes it down. Launches are asynchronous on the device's
/// stream unless a method returns a value to the host.
/// <para>
/// The <c>Try</c> methods are optional fused paths: a backend that has none for the given sizes returns false
/// without launching anything, and <see cref="DeviceOps"/> composes the operation from the plain ones instead.
/// </para>
/// </summary>
internal interface IComputeBackend : IDisposable
{
    /// <summary>What runs the operations, for logs (e.g. <c>simd (Avx2, 2 threads)</c>).</summary>
    string Description { get; }

    /// <summary>What computes the matrix products (e.g. <c>own kernels</c>, <c>cublas 12.4.1</c>).</summary>
    string GemmDescription { get; }

    /// <summary>ILGPU kernels compiled and loaded so far (none on the host kernels).</summary>
    int LoadedKernelCount { get; }

    /// <summary>Whether <see cref="TryGreedyDecode"/> can run (the persistent decoder of the ILGPU backend).</summary>
    bool OffersPersistentDecode { get; }

    /// <summary><c>output[n, :] = table[ids[n], :] (+ bias)</c>.</summary>
    void Gather(ArrayView<int> ids, ArrayView<float> table, ArrayView<float>? bias, ArrayView<float> output, int rows, int width);

    /// <summary><c>gradTable[ids[n], :] += gradOutput[n, :]</c>, rows in order (deterministic for repeated ids).</summary>
    void ScatterAdd(ArrayView<int> ids, ArrayView<float> gradOutput, ArrayView<float> gradTable, int rows, int width);

    /// <summary><c>C (=|+=) op(A)·op(B) (+ bias)</c>, float accumulation; M and N are positive.</summary>
    void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape);

    /// <summary>
    /// Prepares op(B) [K, N] for many products (packed once on the host kernels); in
    /// <see cref="WeightPrecision.Bf16"/> a bfloat16 copy for products accumulated in FP32.
    /// </summary>
    PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed, WeightPrecision precision);

    /// <summary>
    /// Prepares several operands read by one pass, as <see cref="PrepareRight"/> would one by one; a backend whose
    /// persistent decoder reads them by offset keeps their bfloat16 copies in one buffer (<see cref="PreparedRightGroup.SharedBFloat16"/>).
    /// </summary>
    PreparedRightGroup PrepareRightGroup(IReadOnlyList<RightOperandSource> sources, WeightPrecision precision);

    /// <summary>The product with a prepared right operand whose K, N and transposition are the shape's.</summary>
    void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape);

    /// <summary><c>output[j] (=|+=) Σ_n input[n, j]</c>, rows added in order, float accumulation.</summary>
    void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate);

    /// <summary>The LSTM cell of one step (see <see cref="LstmCellKernels.Forward"/>).</summary>
    void LstmForward(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation);

    /// <summary>The LSTM cell's backward step (see <see cref="LstmCellKernels.Backward"/>).</summary>
    void LstmBackward(
        ArrayView<float> activations, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dcCarry, ArrayView<float> dGates, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation);

    /// <summary>
    /// <c>gates += hPrev·U</c> and the cell as one fused launch, or false (nothing launched) where this backend has no
    /// fused step. Sizes are positive.
    /// </summary>
    bool TryLstmForwardStep(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation);

    /// <summary><c>dhCarry += dGatesNext·Uᵀ</c> and the backward cell as one fused launch, or false.</summary>
    bool TryLstmBackwardStep(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float>? dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden, RecurrentActivation activation);

    /// <summary>A layer's whole forward recurrence as one launch (see <c>DeviceOps.LstmForwardSequence</c>), or false.</summary>
    bool TryLstmForwardSequence(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation);

    /// <summary>A layer's whole backward recurrence as one launch (see <c>DeviceOps.LstmBackwardSequence</c>), or false.</summary>
    bool TryLstmBackwardSequence(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cells,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int steps,
        int batch,
        int hidden, RecurrentActivation activation);

    /// <summary>The GRU cell of one step (see <see cref="GruCellKernels.Forward"/>).</summary>
    void GruForward(ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden);

    /// <summary>The GRU cell's backward step (see <see cref="GruCellKernels.Backward"/>).</summary>
    void GruBackward(
        ArrayView<float> activations, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dInputGates, ArrayView<float> dRecurrentGates, ArrayView<int>? mask, int batch, int hidden);

    /// <summary>Fused softmax cross-entropy (see <see cref="SoftmaxKernels"/>); rows is positive.</summary>
    void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale);

    /// <summary>Row-wise argmax, first index on ties.</summary>
    void Argmax(ArrayView<float> logits, ArrayView<int> ids, int rows, int vocab);

    /// <summary>Records one greedy decoding step (see <see cref="DecodeKernels.RecordStep"/>).</summary>
    void RecordStep(ArrayView<int> chosen, ArrayView<int> current, ArrayView<int> outputs, ArrayView<int> finished, int step, int batch, int endId);

    /// <summary>One RMSprop step over a whole parameter buffer.</summary>
    void RmsProp(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale);

    /// <summary>One Adam step over a whole parameter buffer.</summary>
    void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamStep step);

    /// <summary>
    /// Inverted dropout of <paramref name="count"/> elements (see <see cref="DropoutKernels"/>):
    /// <c>output[e] = mask.Keeps(e) ? input[e]·mask.Scale : 0</c>; the views may be the same (in place). Count is positive.
    /// </summary>
    void Dropout(ArrayView<float> input, ArrayView<float> output, int count, DropoutMask mask);

    /// <summary>Masked softmax of the attention scores (see <see cref="AttentionKernels.Weights"/>); mask [Ts, B] or null.</summary>
    void AttentionWeights(ArrayView<float> queries, ArrayView<float> keys, ArrayView<int>? mask, ArrayView<float> weights, AttentionShape shape);

    /// <summary><c>context (=|+=) Σ_s a·v</c> (see <see cref="AttentionKernels.Context"/>).</summary>
    void AttentionContext(ArrayView<float> weights, ArrayView<float> values, ArrayView<float> context, AttentionShape shape);

    /// <summary><c>output (=|+=) Σ_t a·x</c> (see <see cref="AttentionKernels.TransposedContext"/>).</summary>
    void AttentionTransposedContext(ArrayView<float> weights, ArrayView<float> inputs, ArrayView<float> output, AttentionShape shape);

    /// <summary>The score gradient (see <see cref="AttentionKernels.WeightsBackward"/>), assigned.</summary>
    void AttentionWeightsBackward(ArrayView<float> weights, ArrayView<float> dContext, ArrayView<float> values, ArrayView<float> dScores, AttentionShape shape);

    /// <summary><c>output = tanh(input)</c> over <paramref name="count"/> elements (see <see cref="TanhKernels"/>); in place allowed. Count is positive.</summary>
    void Tanh(ArrayView<float> input, ArrayView<float> output, int count);

    /// <summary><c>gradInput = gradOutput·(1 − output²)</c> over <paramref name="count"/> elements; in place allowed. Count is positive.</summary>
    void TanhBackward(ArrayView<float> output, ArrayView<float> gradOutput, ArrayView<float> gradInput, int count);

    /// <summary>Σ x (or Σ x²) accumulated in double over fixed chunks added in order; waits for the device. The view is not empty.</summary>
    double Sum(ArrayView<float> input, bool squares);

    /// <summary>
    /// Greedy-decodes a batch in one persistent launch and returns the steps run, or null (nothing launched) where the
    /// backend has no persistent decoder or the device cannot keep its groups resident. The matrices are read from
    /// <paramref name="matricesBFloat16"/> when it is not empty, else from <paramref name="parameters"/>. Waits for the device.
    /// </summary>
    int? TryGreedyDecode(
        ArrayView<float> parameters,
        ArrayView<ushort> matricesBFloat16,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        GreedyDecodeShape shape);
}
