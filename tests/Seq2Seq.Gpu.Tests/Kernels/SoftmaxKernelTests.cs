using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// Softmax cross-entropy (loss, prediction and gradient in one pass, padding ignored) and the argmax of greedy decoding
/// on every backend, against the reference; logits of ±300 overflow a naive exp in float.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.OperationsOnWarpShapes))]
public sealed class SoftmaxKernelTests(TestTarget target) : DeviceTestBase(target)
{
    // Every shape a thread a row and a warp a row, but for the rows of a long batch: a warp a row costs the CPU
    // accelerator milliseconds a row.
    private static IEnumerable<TestCaseData> CrossEntropyCases() =>
        from shape in OperationCases.CrossEntropy
        from warpPerRow in new[] { false, true }
        where !warpPerRow || (int)shape.Arguments[0]! <= 100
        select new TestCaseData([.. shape.Arguments, warpPerRow]);

    [TestCaseSource(nameof(CrossEntropyCases))]
    public void CrossEntropy_matches_reference_and_ignores_padding(int rows, int vocab, double logitScale, bool warpPerRow)
    {
        // Logits of ±300 overflow a naive exp in float: the kernel must subtract the row maximum.
        var logits = Tensors.Random(rows * vocab, 40, logitScale);
        var targets = Tensors.RandomIds(rows, vocab, 41);
        for (int n = 2; n < rows; n += 3)
        {
            targets[n] = -1;
        }

        int counted = targets.Count(t => t >= 0);
        float scale = 1f / Math.Max(counted, 1);
        var buffer = Upload(logits);
        var rowLoss = Upload(Tensors.Random(rows, 42));
        var rowCorrect = Upload(Tensors.Random(rows, 43));

        CrossEntropy(buffer.View, Upload(targets).View, rowLoss.View, rowCorrect.View, rows, vocab, scale, warpPerRow);

        var expected = ReferenceOps.SoftmaxCrossEntropy(logits.ToDouble(), targets, rows, vocab, scale);
        Tensors.AssertClose(rowLoss.ToArray(), expected.RowLoss, "row loss", 1e-5, 1e-5);
        Tensors.AssertClose(rowCorrect.ToArray(), expected.RowCorrect, "row correct", 0, 0);
        Tensors.AssertClose(buffer.ToArray(), expected.Gradient, "gradient", 1e-6, 1e-4);
    }

    [TestCase(1, 1, 4.0)]
    [TestCase(9, 93, 4.0)]
    [TestCase(64, 31, 4.0)]
    [TestCase(7, 45, 300.0)]
    [TestCase(700, 93, 4.0)]
    public void Argmax_matches_reference(int rows, int vocab, double logitScale)
    {
        var logits = Tensors.Random(rows * vocab, 44, logitScale);
        var ids = Zeros<int>(rows);
        var input = Upload(logits);

        Ops.Argmax(input.View, ids.View, rows, vocab);

        Assert.That(ids.ToArray(), Is.EqualTo(ReferenceOps.Argmax(logits.ToDouble(), rows, vocab)));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CrossEntropy_counts_the_first_of_tied_maxima_as_the_prediction(bool warpPerRow)
    {
        // Row 0: maxima at 1 and 6, target 6 (not the first maximum: wrong). Row 1: maxima at 2 and 5, target 2 (right).
        float[] logits = [0, 3, 1, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 2, 1, 0];
        var rowCorrect = Zeros<float>(2);
        CrossEntropy(Upload(logits).View, Upload(new[] { 6, 2 }).View, Zeros<float>(2).View, rowCorrect.View, 2, 8, 1f, warpPerRow);
        Assert.That(rowCorrect.ToArray(), Is.EqualTo(new[] { 0f, 1f }));

        // Rows shorter than a vector: maxima at 1 and 2 in both, targets 1 (the first: right) and 2 (wrong).
        rowCorrect = Zeros<float>(2);
        CrossEntropy(Upload(new[] { 0f, 3f, 3f, 1f, 0f, 3f, 3f, 1f }).View, Upload(new[] { 1, 2 }).View, Zeros<float>(2).View, rowCorrect.View, 2, 4, 0.5f, warpPerRow);
        Assert.That(rowCorrect.ToArray(), Is.EqualTo(new[] { 1f, 0f }));
    }

    [Test]
    public void Argmax_takes_the_first_of_tied_maxima()
    {
        var ids = Zeros<int>(2);
        Ops.Argmax(Upload(new[] { 0f, 2f, 2f, 1f, 5f, 5f, 5f, 5f }).View, ids.View, 2, 4);
        Assert.That(ids.ToArray(), Is.EqualTo(new[] { 1, 0 }));

        // Rows long enough for a vector path, ties across vectors and inside an overlapping tail.
        const int vocab = 37;
        var logits = new float[3 * vocab];
        logits[3] = 7f;
        logits[20] = 7f;
        logits[vocab + 35] = 1f;
        logits[vocab + 36] = 1f;
        Array.Fill(logits, -2f, 2 * vocab, vocab);
        var longIds = Zeros<int>(3);
        Ops.Argmax(Upload(logits).View, longIds.View, 3, vocab);
        Assert.That(longIds.ToArray(), Is.EqualTo(new[] { 3, 35, 0 }));
    }

    /// <summary>The warp-per-row or thread-per-row ILGPU kernel where the device runs them; the host kernels' one path elsewhere.</summary>
    private void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale, bool warpPerRow)
    {
        if (RunsIlgpuKernels)
        {
            Ops.CrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab, scale, warpPerRow);
        }
        else
        {
            Ops.CrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab, scale);
        }
    }
}
