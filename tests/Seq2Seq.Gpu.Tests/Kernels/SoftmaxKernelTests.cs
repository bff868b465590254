using ILGPU;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class SoftmaxKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, 1.0, false)]
    [TestCase(1, 93, 5.0, false)]
    [TestCase(13, 7, 3.0, false)]
    [TestCase(67, 130, 1.0, false)]
    [TestCase(5, 40, 300.0, false)]
    [TestCase(1, 1, 1.0, true)]
    [TestCase(1, 93, 5.0, true)]
    [TestCase(13, 7, 3.0, true)]
    [TestCase(67, 130, 1.0, true)]
    [TestCase(5, 40, 300.0, true)]
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

    [TestCase(1, 1)]
    [TestCase(9, 93)]
    [TestCase(64, 31)]
    public void Argmax_matches_reference(int rows, int vocab)
    {
        var logits = Tensors.Random(rows * vocab, 44, 4.0);
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
    }

    [Test]
    public void Argmax_takes_the_first_of_tied_maxima()
    {
        var ids = Zeros<int>(2);
        Ops.Argmax(Upload(new[] { 0f, 2f, 2f, 1f, 5f, 5f, 5f, 5f }).View, ids.View, 2, 4);
        Assert.That(ids.ToArray(), Is.EqualTo(new[] { 1, 0 }));
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
