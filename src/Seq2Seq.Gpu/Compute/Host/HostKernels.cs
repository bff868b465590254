using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Every operation of <see cref="DeviceOps"/>, written for the CPU: the same argument meanings, the same = / +=
/// behaviour, masks, padding targets and tie-breaking, over host memory (for instance the buffers of ILGPU's CPU
/// accelerator). Loops are vectorised with one <see cref="HostInstructionSet"/> and the large ones are split across up
/// to <see cref="MaxDegreeOfParallelism"/> threads. Results are deterministic for a given instruction set, and do not
/// depend on the number of threads: work is partitioned so that every output element is computed by the same
/// operations in the same order (no atomics, fixed-size chunks for reductions).
/// <para>
/// Optional inputs (a bias, a mask, an external gradient) are passed as an empty span when absent. Spans may be longer
/// than the shape needs (the leading part is used), never shorter: that is a <see cref="ShapeException"/>, as are ids
/// and targets outside their table or vocabulary. Instances are immutable and thread-safe.
/// </para>
/// </summary>
internal sealed unsafe partial class HostKernels
{
    /// <summary>Element-wise work is split into chunks of this many elements (a multiple of every vector width).</summary>
    private const int ElementGrain = 1 << 14;

    /// <summary>Elements of transcendental-heavy row work (LSTM cell, softmax rows) per chunk.</summary>
    private const int RowWorkGrain = 1 << 12;

    private readonly HostBackend backend;

    /// <summary>Creates kernels for the best instruction set of this machine on all its cores.</summary>
    public HostKernels()
        : this(BestSupported, Environment.ProcessorCount)
    {
    }

    /// <summary>Creates kernels for a chosen instruction set and thread count.</summary>
    /// <param name="instructionSet">The vector path; it must be supported by this machine (see <see cref="IsSupported"/>).</param>
    /// <param name="maxDegreeOfParallelism">Most threads an operation uses; 1 runs everything on the calling thread.</param>
    /// <exception cref="PlatformNotSupportedException">The machine lacks <paramref name="instructionSet"/>.</exception>
    public HostKernels(HostInstructionSet instructionSet, int maxDegreeOfParallelism)
        : this(instructionSet, maxDegreeOfParallelism, allowEmulation: false)
    {
    }

    /// <summary>
    /// Test hook: with <paramref name="allowEmulation"/> an unsupported vector width runs on .NET's software
    /// emulation of it (slow, but the same code path), so its logic can be tested on any machine.
    /// </summary>
    internal HostKernels(HostInstructionSet instructionSet, int maxDegreeOfParallelism, bool allowEmulation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        if (!allowEmulation && !IsSupported(instructionSet))
        {
            throw new PlatformNotSupportedException($"the host instruction set {instructionSet} is not supported by this processor (best: {BestSupported})");
        }

        backend = instructionSet switch
        {
            HostInstructionSet.Avx512 => new SimdBackend<SimdAvx512, Vector512<float>>(),
            HostInstructionSet.Avx2 => new SimdBackend<SimdAvx2, Vector256<float>>(),
            HostInstructionSet.Portable => new SimdBackend<SimdPortable, Vector128<float>>(),
            _ => throw new ArgumentOutOfRangeException(nameof(instructionSet), instructionSet, "unknown instruction set"),
        };
        InstructionSet = instructionSet;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>The fastest instruction set this machine supports (AVX-512 only where .NET considers it fast).</summary>
    public static HostInstructionSet BestSupported =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? HostInstructionSet.Avx512
        : IsSupported(HostInstructionSet.Avx2) ? HostInstructionSet.Avx2
        : HostInstructionSet.Portable;

    /// <summary>The vector path this instance runs.</summary>
    public HostInstructionSet InstructionSet { get; }

    /// <summary>Most threads one operation uses.</summary>
    public int MaxDegreeOfParallelism { get; }

    /// <summary>Floats per vector of <see cref="InstructionSet"/>.</summary>
    public int VectorWidth => backend.Width;

    /// <summary>Whether this processor can run <paramref name="instructionSet"/>.</summary>
    public static bool IsSupported(HostInstructionSet instructionSet) => instructionSet switch
    {
        HostInstructionSet.Avx512 => Avx512F.IsSupported,
        HostInstructionSet.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        HostInstructionSet.Portable => true,
        _ => false,
    };

    /// <summary><c>output[n, :] = table[ids[n], :] (+ bias)</c>; table [V, width] with V = table.Length / width; bias [width] or empty.</summary>
    public void Gather(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, ReadOnlySpan<float> bias, Span<float> output, int rows, int width)
    {
        RequireNonNegative(rows, width, "gather");
        Require(ids.Length, rows, "gather ids");
        Require(output.Length, (long)rows * width, "gather output");
        if (!bias.IsEmpty)
        {
            Require(bias.Length, width, "gather bias");
        }

        CheckIds(ids[..rows], width == 0 ? int.MaxValue : table.Length / width, "gather");
        if (rows == 0 || width == 0)
        {
            return;
        }

        fixed (int* pi = ids)
        fixed (float* pt = table, pb = bias, po = output)
        {
            int* ip = pi;
            float* tp = pt, bp = pb, op = po;
            ForRanges(rows, Grain(width, ElementGrain), (r0, r1) => backend.Gather(ip, tp, bp, op, r0, r1, width));
        }
    }

    /// <summary><c>gradTable[ids[n], :] += gradOutput[n, :]</c> for n in order (repeated ids add up, deterministically).</summary>
    public void ScatterAdd(ReadOnlySpan<int> ids, ReadOnlySpan<float> gradOutput, Span<float> gradTable, int rows, int width)
    {
        RequireNonNegative(rows, width, "scatter");
        Require(ids.Length, rows, "scatter ids");
        Require(gradOutput.Length, (long)rows * width, "scatter gradient");
        CheckIds(ids[..rows], width == 0 ? int.MaxValue : gradTable.Length / width, "scatter");
        if (rows == 0 || width == 0)
        {
            return;
        }

        fixed (int* pi = ids)
        fixed (float* pg = gradOutput, pt = gradTable)
        {
            int* ip = pi;
            float* gp = pg, tp = pt;

            // Split by columns: each column still adds its rows in order.
            ForRanges(width, ColumnGrain(rows, width), (c0, c1) => backend.ScatterAdd(ip, gp, tp, rows, width, c0, c1));
        }
    }

    /// <summary><c>C (=|+=) op(A)·op(B) (+ bias)</c> as described by <paramref name="shape"/>; bias [N], given exactly when the shape says HasBias.</summary>
    public void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, MatMulShape shape) =>
        MatMulCore(a, b, bias, c, shape, null);

    private void MatMulCore(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, MatMulShape shape, float* packedB)
    {
        Require(b.Length, Math.Max(0L, (long)shape.K * shape.N), $"B of {shape}");
        if (!CheckProduct(a, bias, c, shape))
        {
            return;
        }

        if (c[..(shape.M * shape.N)].Overlaps(b[..(shape.K * shape.N)]))
        {
            throw new ShapeException($"{shape}: C overlaps an input");
        }

        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            backend.MatMul(pa, pb, shape.HasBias != 0 ? pbias : null, pc, shape, MaxDegreeOfParallelism, packedB);
        }
    }

    /// <summary>
    /// Checks a product's sizes, A, C and the bias (B is the caller's), and that C overlaps neither A nor the bias;
    /// false when C is empty (nothing to compute).
    /// </summary>
    private static bool CheckProduct(ReadOnlySpan<float> a, ReadOnlySpan<float> bias, Span<float> c, MatMulShape shape)
    {
        if (shape.M < 0 || shape.N < 0 || shape.K < 0)
        {
            throw new ShapeException($"matrix product with negative size: {shape}");
        }

        Require(a.Length, (long)shape.M * shape.K, $"A of {shape}");
        Require(c.Length, (long)shape.M * shape.N, $"C of {shape}");
        if (shape.HasBias != 0)
        {
            Require(bias.Length, shape.N, $"bias of {shape}");
        }
        else if (!bias.IsEmpty)
        {
            throw new ShapeException($"{shape}: a bias is given but the shape does not say HasBias");
        }

        if (shape.M == 0 || shape.N == 0)
        {
            return false;
        }

        var cUsed = c[..(shape.M * shape.N)];
        if (cUsed.Overlaps(a[..(shape.M * shape.K)]) || (shape.HasBias != 0 && cUsed.Overlaps(bias[..shape.N])))
        {
            throw new ShapeException($"{shape}: C overlaps an input");
        }

        return true;
    }

    /// <summary>Packs op(B) [K, N] (stored [K, N], or [N, K] when <paramref name="transposed"/>) once, now, for <see cref="MatMul(ReadOnlySpan{float}, ReadOnlySpan{float}, PackedRightOperand, ReadOnlySpan{float}, Span{float}, MatMulShape)"/>.</summary>
    public PackedRightOperand PackRight(ReadOnlySpan<float> b, int k, int n, bool transposed)
    {
        var packed = DeferPackRight(b, k, n, transposed);
        fixed (float* pb = b)
        {
            packed.Packed(backend, pb);
        }

        return packed;
    }

    /// <summary>
    /// A packed operand for op(B) [K, N] that is packed at the first product that reads it packed: products of at
    /// most a few rows stream <paramref name="b"/> as stored and leave it empty (see <see cref="PackedRightOperand"/>).
    /// </summary>
    public PackedRightOperand DeferPackRight(ReadOnlySpan<float> b, int k, int n, bool transposed)
    {
        RequireNonNegative(k, n, "packed right operand");
        Require(b.Length, (long)k * n, "packed right operand");
        return new PackedRightOperand(k, n, transposed, backend.PackedRightLength(k, n));
    }

    /// <summary>
    /// The matrix product with B packed (<paramref name="packedB"/>, made from <paramref name="b"/> by
    /// <see cref="PackRight"/> or <see cref="DeferPackRight"/> for the shape's K, N and transposition, and packed
    /// here if it is not yet and the product reads panels); products of a few rows stream <paramref name="b"/>.
    /// </summary>
    public void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, PackedRightOperand packedB, ReadOnlySpan<float> bias, Span<float> c, MatMulShape shape)
    {
        ArgumentNullException.ThrowIfNull(packedB);
        if (packedB.K != shape.K || packedB.N != shape.N || packedB.Transposed != (shape.TransposeB != 0))
        {
            throw new ShapeException($"{shape}: the packed right operand is {packedB.K}x{packedB.N}{(packedB.Transposed ? ", transposed" : string.Empty)}");
        }

        Require(b.Length, Math.Max(0L, (long)shape.K * shape.N), $"B of {shape}");
        ObjectDisposedException.ThrowIf(packedB.IsDisposed, packedB);
        if (!CheckProduct(a, bias, c, shape))
        {
            return;
        }

        if (backend.StreamsRight(shape))
        {
            MatMulCore(a, b, bias, c, shape, null);
            return;
        }

        fixed (float* pb = b)
        {
            MatMulCore(a, b, bias, c, shape, packedB.Packed(backend, pb));
        }
    }

    /// <summary><c>output[j] (=|+=) Σ_n input[n, j]</c>; input [rows, cols], rows summed in order.</summary>
    public void ColumnSum(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, bool accumulate)
    {
        RequireNonNegative(rows, cols, "column sum");
        Require(input.Length, (long)rows * cols, "column-sum input");
        Require(output.Length, cols, "column-sum output");
        if (cols == 0)
        {
            return;
        }

        fixed (float* pin = input, pout = output)
        {
            float* ip = pin, op = pout;
            ForRanges(cols, ColumnGrain(rows, cols), (c0, c1) => backend.ColumnSum(ip, op, rows, cols, c0, c1, accumulate));
        }
    }

    /// <summary>
    /// Fused softmax cross-entropy, as <see cref="SoftmaxKernels.CrossEntropyForwardBackward"/>: per-row loss and
    /// correctness (argmax == target) assigned, logits [N, V] overwritten by <c>(softmax - onehot)·scale</c>; a row with
    /// target &lt; 0 gets loss 0, correct 0 and a zero gradient.
    /// </summary>
    public void CrossEntropy(Span<float> logits, ReadOnlySpan<int> targets, Span<float> rowLoss, Span<float> rowCorrect, int rows, int vocab, float scale)
    {
        RequireRows(rows, vocab, "cross-entropy");
        Require(logits.Length, (long)rows * vocab, "cross-entropy logits");
        Require(targets.Length, rows, "cross-entropy targets");
        Require(rowLoss.Length, rows, "cross-entropy row loss");
        Require(rowCorrect.Length, rows, "cross-entropy row correctness");
        for (int n = 0; n < rows; n++)
        {
            if (targets[n] >= vocab)
            {
                throw new ShapeException($"cross-entropy: target {targets[n]} of row {n} is outside a vocabulary of {vocab}");
            }
        }

        if (rows == 0)
        {
            return;
        }

        fixed (float* pl = logits, ploss = rowLoss, pc = rowCorrect)
        fixed (int* pt = targets)
        {
            float* l = pl, loss = ploss, correct = pc;
            int* t = pt;
            ForRanges(rows, Grain(vocab, RowWorkGrain), (r0, r1) => backend.CrossEntropy(l, t, loss, correct, r0, r1, vocab, scale));
        }
    }

    /// <summary>Row-wise argmax of logits [N, V] into ids [N] (the first index on ties).</summary>
    public void Argmax(ReadOnlySpan<float> logits, Span<int> ids, int rows, int vocab)
    {
        RequireRows(rows, vocab, "argmax");
        Require(logits.Length, (long)rows * vocab, "argmax input");
        Require(ids.Length, rows, "argmax output");
        if (rows == 0)
        {
            return;
        }

        fixed (float* pl = logits)
        fixed (int* pi = ids)
        {
            float* l = pl;
            int* i = pi;
            ForRanges(rows, Grain(vocab, ElementGrain), (r0, r1) => backend.Argmax(l, i, r0, r1, vocab));
        }
    }

    /// <summary>One RMSprop step over weights.Length parameters (Keras: <c>g *= gradScale; v = ρv + (1-ρ)g²; w -= lr·g/(sqrt(v)+ε)</c>).</summary>
    public void RmsProp(Span<float> weights, ReadOnlySpan<float> gradients, Span<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale)
    {
        int count = weights.Length;
        Require(gradients.Length, count, "RMSprop gradients");
        Require(meanSquare.Length, count, "RMSprop mean square");
        fixed (float* pw = weights, pg = gradients, pv = meanSquare)
        {
            float* w = pw, g = pg, v = pv;
            ForRanges(count, ElementGrain, (e0, e1) => backend.RmsProp(w + e0, g + e0, v + e0, e1 - e0, learningRate, rho, epsilon, gradScale));
        }
    }

    /// <summary>One Adam step over weights.Length parameters (see <see cref="AdamStep"/>).</summary>
    public void Adam(Span<float> weights, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment, AdamStep step)
    {
        int count = weights.Length;
        Require(gradients.Length, count, "Adam gradients");
        Require(firstMoment.Length, count, "Adam first moment");
        Require(secondMoment.Length, count, "Adam second moment");
        fixed (float* pw = weights, pg = gradients, pm = firstMoment, pv = secondMoment)
        {
            float* w = pw, g = pg, m = pm, v = pv;
            ForRanges(count, ElementGrain, (e0, e1) => backend.Adam(w + e0, g + e0, m + e0, v + e0, e1 - e0, step));
        }
    }

    /// <summary>
    /// Inverted dropout of the first <paramref name="count"/> elements: <c>output[e] = mask.Keeps(e) ? input[e]·mask.Scale : 0</c>
    /// (see <see cref="DropoutMask"/>). <paramref name="input"/> and <paramref name="output"/> may be the same memory (in place).
    /// </summary>
    public void Dropout(ReadOnlySpan<float> input, Span<float> output, int count, DropoutMask mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Require(input.Length, count, "dropout input");
        Require(output.Length, count, "dropout output");
        fixed (float* pi = input, po = output)
        {
            float* i = pi, o = po;
            ForRanges(count, ElementGrain, (e0, e1) => backend.Dropout(i, o, e0, e1, mask));
        }
    }

    /// <summary>
    /// Σ x (or Σ x² when <paramref name="squares"/>), accumulated in double over fixed chunks whose partial sums are added
    /// in order, so the result does not depend on the number of threads.
    /// </summary>
    public float Sum(ReadOnlySpan<float> input, bool squares = false) => (float)SumInDouble(input, squares);

    /// <summary><see cref="Sum"/> before its rounding to float.</summary>
    public double SumInDouble(ReadOnlySpan<float> input, bool squares = false)
    {
        int count = input.Length;
        if (count == 0)
        {
            return 0;
        }

        int chunks = (count + ElementGrain - 1) / ElementGrain;
        var partials = new double[chunks];
        fixed (float* pin = input)
        {
            float* p = pin;
            Run(chunks, chunks > 1 && count >= 4 * ElementGrain, i =>
            {
                int start = i * ElementGrain;
                partials[i] = backend.Sum(p + start, Math.Min(ElementGrain, count - start), squares);
            });
        }

        double total = 0;
        foreach (double partial in partials)
        {
            total += partial;
        }

        return total;
    }

    private static int Grain(int width, int elements) => Math.Max(1, elements / Math.Max(1, width));

    /// <summary>
    /// Columns per range of a column-split operation over [rows, cols]: one wide range per thread (each streams every
    /// row, reading its own slice), or all columns when the operation is small.
    /// </summary>
    private int ColumnGrain(int rows, int cols)
    {
        if ((long)rows * cols < 4 * ElementGrain)
        {
            return cols;
        }

        int perThread = (cols + MaxDegreeOfParallelism - 1) / MaxDegreeOfParallelism;
        return Math.Max(64, (perThread + 15) & ~15);
    }

    private static void Require(long length, long needed, string what)
    {
        if (length < needed)
        {
            throw new ShapeException($"{what}: the span holds {length} elements but the shape needs {needed}");
        }
    }

    private static void RequireNonNegative(int first, int second, string what)
    {
        if (first < 0 || second < 0)
        {
            throw new ShapeException($"{what}: negative size ({first}, {second})");
        }
    }

    private static void RequireRows(int rows, int vocab, string what)
    {
        RequireNonNegative(rows, vocab, what);
        if (rows > 0 && vocab == 0)
        {
            throw new ShapeException($"{what}: rows of zero width");
        }
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int tableRows, string what)
    {
        for (int n = 0; n < ids.Length; n++)
        {
            if ((uint)ids[n] >= (uint)tableRows)
            {
                throw new ShapeException($"{what}: id {ids[n]} of row {n} is outside a table of {tableRows} rows");
            }
        }
    }

    /// <summary>Runs body over [0, count) in ranges of <paramref name="grain"/> items, on several threads when there are several ranges.</summary>
    private void ForRanges(int count, int grain, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int ranges = (count + grain - 1) / grain;
        if (ranges <= 1 || MaxDegreeOfParallelism <= 1)
        {
            body(0, count);
            return;
        }

        Run(ranges, true, i =>
        {
            int start = i * grain;
            body(start, Math.Min(count, start + grain));
        });
    }

    private void Run(int count, bool parallel, Action<int> body)
    {
        if (!parallel || MaxDegreeOfParallelism <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism }, body);
    }
}
