using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostSoftmaxTests(HostPath path) : HostTestBase(path)
{
    [TestCase(1, 1, 1.0)]
    [TestCase(1, 93, 5.0)]
    [TestCase(13, 7, 3.0)]
    [TestCase(67, 130, 1.0)]
    [TestCase(5, 40, 300.0)]
    [TestCase(9, 17, 300.0)]
    [TestCase(600, 93, 4.0)]
    public void CrossEntropy_matches_reference_and_ignores_padding(int rows, int vocab, double logitScale)
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
        var (gradient, rowLoss, rowCorrect) = Run(Kernels);

        var expected = ReferenceOps.SoftmaxCrossEntropy(logits.ToDouble(), targets, rows, vocab, scale);
        Tensors.AssertClose(rowLoss, expected.RowLoss, "row loss", 1e-5, 1e-5);
        Tensors.AssertClose(rowCorrect, expected.RowCorrect, "row correct", 0, 0);
        Tensors.AssertClose(gradient, expected.Gradient, "gradient", 1e-6, 1e-4);

        var single = Run(SingleThreaded);
        Assert.That(gradient, Is.EqualTo(single.Gradient).AsCollection);
        Assert.That(rowLoss, Is.EqualTo(single.RowLoss).AsCollection);

        (float[] Gradient, float[] RowLoss, float[] RowCorrect) Run(Compute.Host.HostKernels kernels)
        {
            var buffer = (float[])logits.Clone();
            var loss = Tensors.Random(rows, 42);
            var correct = Tensors.Random(rows, 43);
            kernels.CrossEntropy(buffer, targets, loss, correct, rows, vocab, scale);
            return (buffer, loss, correct);
        }
    }

    [TestCase(1, 1, 4.0)]
    [TestCase(9, 93, 4.0)]
    [TestCase(64, 31, 4.0)]
    [TestCase(7, 45, 300.0)]
    [TestCase(700, 93, 4.0)]
    public void Argmax_matches_reference(int rows, int vocab, double logitScale)
    {
        var logits = Tensors.Random(rows * vocab, 44, logitScale);
        var ids = new int[rows];

        Kernels.Argmax(logits, ids, rows, vocab);

        Assert.That(ids, Is.EqualTo(ReferenceOps.Argmax(logits.ToDouble(), rows, vocab)));
    }

    [Test]
    public void Argmax_takes_the_first_of_tied_maxima()
    {
        var ids = new int[2];
        Kernels.Argmax([0f, 2f, 2f, 1f, 5f, 5f, 5f, 5f], ids, 2, 4);
        Assert.That(ids, Is.EqualTo(new[] { 1, 0 }));

        // Rows long enough for the vector path, ties across vectors and inside the overlapping tail.
        const int vocab = 37;
        var logits = new float[3 * vocab];
        logits[3] = 7f;
        logits[20] = 7f;
        logits[vocab + 35] = 1f;
        logits[vocab + 36] = 1f;
        Array.Fill(logits, -2f, 2 * vocab, vocab);
        var longIds = new int[3];
        Kernels.Argmax(logits, longIds, 3, vocab);
        Assert.That(longIds, Is.EqualTo(new[] { 3, 35, 0 }));
    }

    [Test]
    public void Cross_entropy_counts_the_first_tied_maximum_and_rejects_bad_targets()
    {
        // Targets 1 and 2 tie at the maximum; only the first counts as correct, as in the kernel.
        var logits = new float[] { 0f, 3f, 3f, 1f, 0f, 3f, 3f, 1f };
        var loss = new float[2];
        var correct = new float[2];
        Kernels.CrossEntropy(logits, [1, 2], loss, correct, 2, 4, 0.5f);
        Assert.That(correct, Is.EqualTo(new[] { 1f, 0f }));

        Assert.That(
            () => Kernels.CrossEntropy(new float[8], [1, 4], loss, correct, 2, 4, 1f),
            Throws.TypeOf<ShapeException>().With.Message.Contains("target 4"));
    }
}
