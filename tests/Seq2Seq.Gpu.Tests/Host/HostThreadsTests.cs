using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The host kernels split work between threads so that the split never changes a float: every operation gives the same
/// bits on one thread, on two, and on all cores, in every instruction set, on shapes large enough to be split (their
/// values against the reference are checked by the operation suites in Kernels/).
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.HostInstructionSets))]
public sealed class HostThreadsTests(TestTarget target) : HostTestBase(target)
{
    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.ScatterAdd))]
    public void ScatterAdd_sums_repeated_ids_whatever_the_threads(int rows, int width, int vocab)
    {
        // Few distinct ids for many rows: every id repeats.
        var ids = Tensors.RandomIds(rows, vocab, 4);
        var gradOut = Tensors.Random(rows * width, 5);
        var initial = Tensors.Random(vocab * width, 6);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var gradTable = (float[])initial.Clone();
            kernels.ScatterAdd(ids, gradOut, gradTable, rows, width);
            return [gradTable];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.ColumnSum))]
    public void ColumnSum_is_the_same_whatever_the_threads(int rows, int cols, bool accumulate)
    {
        var input = Tensors.Random(rows * cols, 14);
        var initial = Tensors.Random(cols, 15);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var output = (float[])initial.Clone();
            kernels.ColumnSum(input, output, rows, cols, accumulate);
            return [output];
        });
    }

    // Just above the size where products are threaded, split into several tasks (by columns, by both, by rows); K split
    // into chunks; tasks of more than 16 row blocks.
    [TestCase(64, 260, 70, false, false)]
    [TestCase(40, 93, 300, true, false)]
    [TestCase(101, 64, 170, false, true)]
    [TestCase(40, 93, 4500, true, false)]
    [TestCase(301, 230, 300, false, false)]
    // Products of a few rows with a B of 256 KB or more: columns split on HostWorkers (a decode step's), a partial
    // last vector, rows in blocks of four and one by one.
    [TestCase(1, 1030, 256, false, false)]
    [TestCase(5, 1024, 256, false, false)]
    [TestCase(8, 1000, 300, true, false)]
    public void Threads_do_not_change_the_product(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate: true, hasBias: true);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var c = (float[])initial.Clone();
            kernels.MatMul(a, b, bias, c, shape);
            return [c];
        });
    }

    // A bfloat16 B: a few rows (panels split on HostWorkers) and many (widened panels, Parallel.For).
    [TestCase(1, 1030, 256, false)]
    [TestCase(7, 1024, 256, true)]
    [TestCase(64, 93, 256, false)]
    [TestCase(70, 1024, 256, false)]
    public void Threads_do_not_change_the_bfloat16_product(int m, int n, int k, bool transposeB)
    {
        var shape = new MatMulShape(m, n, k, transposeB: transposeB, accumulate: true, hasBias: true);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            using var packed = kernels.PackRightBFloat16(b, k, n, transposeB);
            var c = (float[])initial.Clone();
            kernels.MatMul(a, packed, bias, c, shape);
            return [c];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.LstmForward))]
    public void Lstm_forward_is_the_same_whatever_the_threads(int batch, int hidden, bool masked)
    {
        var step = LstmCellForwardCase.Create(batch, hidden, masked, 20);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var gates = (float[])step.Gates.Clone();
            var cNext = new float[batch * hidden];
            var hNext = new float[batch * hidden];
            kernels.LstmForward(gates, step.CPrev, step.HPrev, cNext, hNext, step.Mask ?? [], batch, hidden);
            return [gates, cNext, hNext];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.LstmBackward))]
    public void Lstm_backward_is_the_same_whatever_the_threads(int batch, int hidden, bool masked, bool withExternal)
    {
        var step = LstmCellBackwardCase.Create(batch, hidden, masked, 30);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var dh = (float[])step.DhCarry.Clone();
            var dc = (float[])step.DcCarry.Clone();
            var dGates = (float[])step.StaleGates.Clone();
            kernels.LstmBackward(step.Activations, step.CPrev, step.CNext, withExternal ? step.DhExternal : [], dh, dc, dGates, step.Mask ?? [], batch, hidden);
            return [dh, dc, dGates];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.GruForward))]
    public void Gru_forward_is_the_same_whatever_the_threads(int batch, int hidden, bool masked)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 50);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var gates = (float[])step.InputGates.Clone();
            var h = (float[])step.StaleH.Clone();
            kernels.GruForward(gates, step.RecurrentGates, step.HPrev, h, step.Mask ?? [], batch, hidden);
            return [gates, h];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.GruBackward))]
    public void Gru_backward_is_the_same_whatever_the_threads(int batch, int hidden, bool masked, bool withExternal)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 60);

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var dInputGates = (float[])step.StaleGates.Clone();
            var dRecurrentGates = (float[])step.StaleGates.Clone();
            var dh = (float[])step.DhCarry.Clone();
            kernels.GruBackward(step.Activations, step.RecurrentGates, step.HPrev, withExternal ? step.DhExternal : [], dh, dInputGates, dRecurrentGates, step.Mask ?? [], batch, hidden);
            return [dInputGates, dRecurrentGates, dh];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.CrossEntropy))]
    public void CrossEntropy_is_the_same_whatever_the_threads(int rows, int vocab, double logitScale)
    {
        var logits = Tensors.Random(rows * vocab, 40, logitScale);
        var targets = Tensors.RandomIds(rows, vocab, 41);
        for (int n = 2; n < rows; n += 3)
        {
            targets[n] = -1;
        }

        AssertThreadsDoNotChangeIt(kernels =>
        {
            var gradient = (float[])logits.Clone();
            var loss = new float[rows];
            var correct = new float[rows];
            kernels.CrossEntropy(gradient, targets, loss, correct, rows, vocab, 0.5f);
            return [gradient, loss, correct];
        });
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.Sum))]
    public void Sums_are_the_same_whatever_the_threads(int count)
    {
        var x = Tensors.Random(count, 70);
        AssertThreadsDoNotChangeIt(kernels => [[kernels.Sum(x), kernels.Sum(x, squares: true)]]);
    }

    /// <summary>Runs an operation on all cores, on two threads and on one, and asserts every output the same to the bit.</summary>
    private void AssertThreadsDoNotChangeIt(Func<HostKernels, float[][]> run)
    {
        var single = run(SingleThreaded);
        foreach (var (kernels, what) in new[] { (Kernels, "all cores"), (TwoThreads, "two threads") })
        {
            var outputs = run(kernels);
            for (int i = 0; i < outputs.Length; i++)
            {
                Assert.That(outputs[i], Is.EqualTo(single[i]).AsCollection, $"output {i}: {what} against one thread");
            }
        }
    }
}
