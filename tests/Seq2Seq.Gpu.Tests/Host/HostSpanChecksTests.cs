using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The host kernels' public span API refuses what would read or write out of bounds (ids and targets outside the table,
/// short spans, a missing bias, overlapping operands, a packed operand of another shape), in every instruction set.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.HostInstructionSets))]
public sealed class HostSpanChecksTests(TestTarget target) : HostTestBase(target)
{
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

    [Test]
    public void Product_rejects_short_spans_a_missing_bias_and_overlap()
    {
        var buffer = new float[64];
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[5], [], new float[4], new MatMulShape(2, 2, 3)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("B of"));
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[6], [], new float[4], new MatMulShape(2, 2, 3, hasBias: true)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("bias"));
        Assert.That(
            () => Kernels.MatMul(buffer.AsSpan(0, 6), buffer.AsSpan(6, 6), [], buffer.AsSpan(10, 4), new MatMulShape(2, 2, 3)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("overlaps"));
    }

    [Test]
    public void A_packed_operand_of_another_shape_is_refused()
    {
        using var packed = Kernels.PackRight(new float[12], 3, 4, transposed: false);
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[12], packed, [], new float[8], new MatMulShape(2, 4, 3, transposeB: true)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("packed right operand"));
    }

    [Test]
    public void Cross_entropy_rejects_targets_outside_the_vocabulary()
    {
        Assert.That(
            () => Kernels.CrossEntropy(new float[8], [1, 4], new float[2], new float[2], 2, 4, 1f),
            Throws.TypeOf<ShapeException>().With.Message.Contains("target 4"));
    }
}
