using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The loops of every host operation for one instruction set, over raw pointers and a range of rows, columns or
/// elements; <see cref="HostKernels"/> validates arguments, pins memory and splits the work between threads.
/// Implemented once, generically, by <see cref="SimdBackend{TS, TV}"/>.
/// </summary>
internal abstract unsafe class HostBackend
{
    /// <summary>Floats a vector holds.</summary>
    public abstract int Width { get; }

    /// <summary>The whole matrix product, threaded internally; <paramref name="packedB"/> is B packed by <see cref="PackRight"/>, or null.</summary>
    public abstract void MatMul(float* a, float* b, float* bias, float* c, MatMulShape shape, int maxThreads, float* packedB = null);

    /// <summary>Whether <see cref="MatMul"/> of this shape reads B as stored (a product of a few rows) and never its packed panels.</summary>
    public abstract bool StreamsRight(MatMulShape shape);

    /// <summary>Rows of the product's row blocks: a band of <see cref="MatMulBand"/> starts at a multiple of it.</summary>
    public abstract int RowBlock { get; }

    /// <summary>
    /// A band of rows of a product with B packed by <see cref="PackRight"/>, on the calling thread, each element bit for
    /// bit as <see cref="MatMul"/> computes it for a product of more than a few rows (see HostGemm.RunBand).
    /// </summary>
    public abstract void MatMulBand(float* a, float* c, MatMulShape shape, float* packedB);

    /// <summary>Floats a packed right operand of K × N takes.</summary>
    public abstract long PackedRightLength(int k, int n);

    /// <summary>Packs a whole right operand for reuse by <see cref="MatMul"/>.</summary>
    public abstract void PackRight(float* b, MatMulShape shape, float* dst);

    /// <summary>bfloat16 values a right operand of K × N packed by <see cref="PackRightBFloat16"/> takes.</summary>
    public abstract long BFloat16RightLength(int k, int n);

    /// <summary>Converts op(B) [K, N] to bfloat16 panels (see <see cref="HostBFloat16Gemm{TS, TV}"/>).</summary>
    public abstract void PackRightBFloat16(float* b, int k, int n, bool transposed, ushort* dst);

    /// <summary>The product A·op(B) with B in bfloat16 panels, accumulated in FP32, threaded internally.</summary>
    public abstract void MatMulBFloat16(float* a, ushort* packedB, float* bias, float* c, MatMulShape shape, int maxThreads);

    /// <summary>Rows [row0, row1) of the gather (ids already checked).</summary>
    public abstract void Gather(int* ids, float* table, float* bias, float* output, int row0, int row1, int width);

    /// <summary>Columns [col0, col1) of the scatter-add, every row in order (ids already checked).</summary>
    public abstract void ScatterAdd(int* ids, float* gradOutput, float* gradTable, int rows, int width, int col0, int col1);

    /// <summary>Columns [col0, col1) of the column sum.</summary>
    public abstract void ColumnSum(float* input, float* output, int rows, int cols, int col0, int col1, bool accumulate);

    /// <summary>Batch rows [b0, b1) of the LSTM forward step; <c>slope</c> 0 is the sigmoid, else the hard sigmoid of that slope.</summary>
    public abstract void LstmForward(float* gates, float* cPrev, float* hPrev, float* cNext, float* hNext, int* mask, int b0, int b1, int hidden, float slope);

    /// <summary>Batch rows [b0, b1) of the LSTM backward step.</summary>
    public abstract void LstmBackward(
        float* activations, float* cPrev, float* cNext, float* dhExternal, float* dhCarry, float* dcCarry, float* dGates, int* mask, int b0, int b1, int hidden, float slope);

    /// <summary>Batch rows [b0, b1) of the GRU forward step.</summary>
    public abstract void GruForward(float* inputGates, float* recurrentGates, float* hPrev, float* hNext, int* mask, int b0, int b1, int hidden);

    /// <summary>Batch rows [b0, b1) of the GRU backward step.</summary>
    public abstract void GruBackward(
        float* activations, float* recurrentGates, float* hPrev, float* dhExternal, float* dhCarry, float* dInputGates, float* dRecurrentGates, int* mask, int b0, int b1, int hidden);

    /// <summary>Rows [row0, row1) of the fused cross-entropy (targets already checked).</summary>
    public abstract void CrossEntropy(float* logits, int* targets, float* rowLoss, float* rowCorrect, int row0, int row1, int vocab, float scale);

    /// <summary>Rows [row0, row1) of the argmax.</summary>
    public abstract void Argmax(float* logits, int* ids, int row0, int row1, int vocab);

    /// <summary>RMSprop over <paramref name="count"/> parameters.</summary>
    public abstract void RmsProp(float* weights, float* gradients, float* meanSquare, int count, float learningRate, float rho, float epsilon, float gradScale);

    /// <summary>Adam over <paramref name="count"/> parameters.</summary>
    public abstract void Adam(float* weights, float* gradients, float* firstMoment, float* secondMoment, int count, AdamStep step);

    /// <summary>Elements [e0, e1) of the dropout (indices are the tensor's own, so the mask does not depend on the split).</summary>
    public abstract void Dropout(float* input, float* output, int e0, int e1, DropoutMask mask);

    /// <summary>Σ x (or Σ x²) of <paramref name="count"/> elements in double.</summary>
    public abstract double Sum(float* data, int count, bool squares);

    // The attention operations run batch-major: a range [b0, b1) of batch rows, each with all its query rows (or key
    // columns) in turn, so that one sentence's keys or values ([Ts, W] of a [Ts, B, W] tensor) are read from L1 for
    // every query row instead of from L2 for each. Every output element is still summed in the same order.

    /// <summary>Batch rows [b0, b1) of the masked attention softmax (see <see cref="AttentionKernels.Weights"/>); mask null for none.</summary>
    public abstract void AttentionWeights(float* queries, float* keys, int* mask, float* weights, AttentionShape shape, int b0, int b1);

    /// <summary>Batch rows [b0, b1) of the context (see <see cref="AttentionKernels.Context"/>).</summary>
    public abstract void AttentionContext(float* weights, float* values, float* context, AttentionShape shape, int b0, int b1);

    /// <summary>Batch rows [b0, b1) of <see cref="AttentionKernels.TransposedContext"/>.</summary>
    public abstract void AttentionTransposedContext(float* weights, float* inputs, float* output, AttentionShape shape, int b0, int b1);

    /// <summary>Batch rows [b0, b1) of the score gradient (see <see cref="AttentionKernels.WeightsBackward"/>).</summary>
    public abstract void AttentionWeightsBackward(float* weights, float* dContext, float* values, float* dScores, AttentionShape shape, int b0, int b1);

    /// <summary>Elements [e0, e1) of <c>output = tanh(input)</c>.</summary>
    public abstract void Tanh(float* input, float* output, int e0, int e1);

    /// <summary>Elements [e0, e1) of <c>gradInput = gradOutput·(1 − output²)</c>.</summary>
    public abstract void TanhBackward(float* output, float* gradOutput, float* gradInput, int e0, int e1);
}
