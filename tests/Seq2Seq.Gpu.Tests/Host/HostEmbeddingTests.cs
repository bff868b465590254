using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostEmbeddingTests(HostPath path) : HostTestBase(path)
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
        var output = Tensors.Random(rows * width, 4);

        Kernels.Gather(ids, table, withBias ? bias : [], output, rows, width);

        var expected = ReferenceOps.Gather(ids, table.ToDouble(), withBias ? bias.ToDouble() : null, width);
        Tensors.AssertClose(output, expected, "gather", 1e-7, 1e-6);
    }

    [TestCase(1, 1, 1)]
    [TestCase(9, 5, 3)]
    [TestCase(200, 33, 4)]
    [TestCase(3000, 300, 7)]
    public void ScatterAdd_sums_repeated_ids_and_threads_do_not_change_it(int rows, int width, int vocab)
    {
        // Few distinct ids for many rows: every id repeats.
        var ids = Tensors.RandomIds(rows, vocab, 4);
        var gradOut = Tensors.Random(rows * width, 5);
        var initial = Tensors.Random(vocab * width, 6);
        var gradTable = (float[])initial.Clone();
        var single = (float[])initial.Clone();

        Kernels.ScatterAdd(ids, gradOut, gradTable, rows, width);
        SingleThreaded.ScatterAdd(ids, gradOut, single, rows, width);

        var expected = initial.ToDouble();
        ReferenceOps.ScatterAdd(ids, gradOut.ToDouble(), expected, width);
        Tensors.AssertClose(gradTable, expected, "scatter-add", 1e-5, 1e-5);
        Assert.That(gradTable, Is.EqualTo(single).AsCollection, "threads against one thread");
    }

    [TestCase(1, 1, false)]
    [TestCase(7, 5, true)]
    [TestCase(129, 67, false)]
    [TestCase(3776, 93, true)]
    [TestCase(300, 1024, false)]
    public void ColumnSum_matches_reference_and_threads_do_not_change_it(int rows, int cols, bool accumulate)
    {
        var input = Tensors.Random(rows * cols, 14);
        var initial = Tensors.Random(cols, 15);
        var output = (float[])initial.Clone();
        var single = (float[])initial.Clone();

        Kernels.ColumnSum(input, output, rows, cols, accumulate);
        SingleThreaded.ColumnSum(input, single, rows, cols, accumulate);

        var expected = initial.ToDouble();
        ReferenceOps.ColumnSum(input.ToDouble(), expected, rows, cols, accumulate);
        Tensors.AssertClose(output, expected, "column sum", 1e-5 * Math.Max(1, rows / 100), 1e-4);
        Assert.That(output, Is.EqualTo(single).AsCollection, "threads against one thread");
    }

    [Test]
    public void Ids_outside_the_table_and_short_spans_are_rejected()
    {
        Assert.That(
            () => Kernels.Gather([0, 2], new float[6], [], new float[6], 2, 3),
            Throws.TypeOf<ShapeException>().With.Message.Contains("id 2"));
        Assert.That(
            () => Kernels.ScatterAdd([-1], new float[3], new float[6], 1, 3),
            Throws.TypeOf<ShapeException>().With.Message.Contains("id -1"));
        Assert.That(
            () => Kernels.Gather([0, 1], new float[6], [], new float[5], 2, 3),
            Throws.TypeOf<ShapeException>().With.Message.Contains("gather output"));
    }
}
