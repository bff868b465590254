using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The embedding lookup and its gradient on every backend, against the reference.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class EmbeddingKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, 1, false)]
    [TestCase(7, 13, 5, true)]
    [TestCase(66, 37, 3, false)]
    [TestCase(130, 1024, 71, true)]
    public void Gather_matches_reference(int rows, int width, int vocab, bool withBias)
    {
        var table = Tensors.Random(vocab * width, 1);
        var bias = Tensors.Random(width, 2);
        var ids = Tensors.RandomIds(rows, vocab, 3);

        // Random before the gather: every element must be written.
        var output = Upload(Tensors.Random(rows * width, 4));

        Ops.Gather(Upload(ids).View, Upload(table).View, withBias ? Upload(bias).View : null, output.View, rows, width, vocab);

        var expected = ReferenceOps.Gather(ids, table.ToDouble(), withBias ? bias.ToDouble() : null, width);
        Tensors.AssertClose(output.ToArray(), expected, "gather", 1e-7, 1e-6);
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.ScatterAdd))]
    public void ScatterAdd_sums_repeated_ids(int rows, int width, int vocab)
    {
        // Few distinct ids for many rows: every id repeats.
        var ids = Tensors.RandomIds(rows, vocab, 4);
        var gradOut = Tensors.Random(rows * width, 5);
        var initial = Tensors.Random(vocab * width, 6);
        var gradTable = Upload(initial);

        Ops.ScatterAdd(Upload(ids).View, Upload(gradOut).View, gradTable.View, rows, width, vocab);

        var expected = initial.ToDouble();
        ReferenceOps.ScatterAdd(ids, gradOut.ToDouble(), expected, width);
        Tensors.AssertClose(gradTable.ToArray(), expected, "scatter-add", 1e-5, 1e-5);
    }

    [Test]
    public void Gather_rejects_a_table_too_small_for_its_shape()
    {
        var ids = Upload(new[] { 0, 1 });
        var table = Zeros<float>(5);
        var output = Zeros<float>(6);
        Assert.That(
            () => Ops.Gather(ids.View, table.View, null, output.View, 2, 3, 2),
            Throws.TypeOf<Seq2Seq.Gpu.Errors.ShapeException>().With.Message.Contains("gather table"));
    }
}
