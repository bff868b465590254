using ILGPU.Runtime;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The bfloat16 side of the ILGPU kernels (<c>--precision bf16</c> on a GPU): the device conversion gives the host
/// conversion's bits (itself checked against a round-to-nearest-even reference in <c>BFloat16Tests</c>), and every
/// product kernel reading a bfloat16 B computes exactly what the same kernel computes from the widened values in FP32:
/// the copy changes the bytes read, never the arithmetic. Bit-for-bit, on awkward shapes, every flag.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.IlgpuWarpShapes))]
public sealed class BFloat16KernelTests(TestTarget target) : DeviceTestBase(target)
{
    private static readonly int[][] Shapes = [[1, 1, 1], [1, 37, 19], [3, 5, 0], [17, 3, 5], [5, 66, 33]];

    private static IEnumerable<TestCaseData> Products() =>
        Shapes.SelectMany(s => MatMulCheck.AllFlags(s[0], s[1], s[2]))
            .SelectMany(shape => new[] { MatMulAlgorithm.Rows, MatMulAlgorithm.Tiled, MatMulAlgorithm.RegisterBlocked }
                .Select(algorithm => new TestCaseData(shape, algorithm).SetArgDisplayNames(shape.ToString(), algorithm.ToString())));

    [Test]
    public void Device_conversion_gives_the_host_conversions_bits()
    {
        // Random bit patterns (NaNs and infinities included), then the values whose rounding is delicate: ties either
        // way, a carry into the exponent, the largest single, subnormal ties, signed zeros, NaNs with their payload only
        // in the dropped bits (which must stay NaNs), both infinities.
        var random = new Random(20261203);
        var bits = new uint[65_536];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = (uint)random.NextInt64(0, 1L << 32);
        }

        uint[] edges = [0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0xBF818000, 0x3FFFFFFF, 0x7F7FFFFF, 0x00008000, 0x00018000, 0x00000000, 0x80000000, 0x7F800001, 0xFF800001, 0x7FC00000, 0x7F800000, 0xFF800000];
        edges.CopyTo(bits, 0);
        var values = Array.ConvertAll(bits, BitConverter.UInt32BitsToSingle);
        var source = Upload(values);
        var destination = Zeros<ushort>(values.Length);

        Ops.Ilgpu.ConvertToBFloat16(source.View, destination.View);

        var actual = destination.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.That(actual[i], Is.EqualTo(BFloat16.FromSingle(values[i])), $"bits 0x{bits[i]:X8}");
        }

        Assert.That(float.IsNaN(BFloat16.ToSingle(actual[11])) && float.IsNaN(BFloat16.ToSingle(actual[12])), "a NaN whose payload is only in the low bits stays a NaN");
    }

    // The shape and the algorithm travel as objects: their types are internal, and a public test's parameters must not be.
    [TestCaseSource(nameof(Products))]
    public void A_bfloat16_product_is_the_fp32_product_of_the_widened_values(object boxedShape, object boxedAlgorithm)
    {
        var shape = (MatMulShape)boxedShape;
        var algorithm = (MatMulAlgorithm)boxedAlgorithm;
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);
        var narrowed = Array.ConvertAll(b, BFloat16.FromSingle);
        var widened = Array.ConvertAll(narrowed, BFloat16.ToSingle);
        var aBuffer = Upload(a);
        var biasBuffer = Upload(bias);
        var copy = Upload(narrowed);
        var widenedBuffer = Upload(widened);
        var actual = Upload(initial);
        var expected = Upload(initial);

        Ops.Ilgpu.MatMul(aBuffer.View, copy.View, shape.HasBias != 0 ? biasBuffer.View : null, actual.View, shape, algorithm);
        Ops.Ilgpu.MatMul(aBuffer.View, widenedBuffer.View, shape.HasBias != 0 ? biasBuffer.View : null, expected.View, shape, algorithm);

        Assert.That(actual.ToArray(), Is.EqualTo(expected.ToArray()), $"{algorithm} {shape}");
        if (shape.K > 1)
        {
            // Against the unrounded B: close, within bfloat16's rounding (at most 2⁻⁸ of each term, terms below 1 here).
            MatMulCheck.AssertMatches(actual.ToArray(), shape, $"bf16 {algorithm}", atol: shape.K / 64.0);
        }
    }

    [Test]
    public void A_prepared_bfloat16_operand_holds_the_rounded_copy_and_the_product_reads_it()
    {
        var shape = new MatMulShape(7, 45, 29, hasBias: true);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);
        var aBuffer = Upload(a);
        var bBuffer = Upload(b);
        var biasBuffer = Upload(bias);
        var c = Upload(initial);
        var expected = Upload(initial);
        var widened = Upload(Array.ConvertAll(b, v => BFloat16.ToSingle(BFloat16.FromSingle(v))));

        using var prepared = Ops.PrepareRight(bBuffer.View, shape.K, shape.N, transposed: false, WeightPrecision.Bf16);
        Ops.MatMul(aBuffer.View, prepared, biasBuffer.View, c.View, shape);
        Ops.MatMul(aBuffer.View, widened.View, biasBuffer.View, expected.View, shape);

        Assert.That(prepared.Precision, Is.EqualTo(WeightPrecision.Bf16));
        Assert.That(c.ToArray(), Is.EqualTo(expected.ToArray()), "the product of the copy is the FP32 product of the rounded weights");
        var copy = new ushort[b.Length];
        prepared.DeviceBFloat16.CopyToCPU(copy);
        Assert.That(copy, Is.EqualTo(Array.ConvertAll(b, BFloat16.FromSingle)));
    }

    [Test]
    public void A_disposed_copy_and_a_copy_handed_to_a_recurrence_are_refused()
    {
        const int hidden = 3, batch = 2, steps = 2;
        var u = Upload(Tensors.Random(hidden * 4 * hidden, 5));
        var h = Upload(Tensors.Random(batch * hidden, 6));
        var c = Zeros<float>(batch * 4 * hidden);
        var prepared = Ops.PrepareRight(u.View, hidden, 4 * hidden, transposed: false, WeightPrecision.Bf16);
        var shape = new MatMulShape(batch, 4 * hidden, hidden);

        // Training's recurrences read the FP32 store; a backend's sequence kernel would ignore the copy, so it is refused.
        var gates = Zeros<float>(steps * batch * 4 * hidden);
        var cells = Zeros<float>((steps + 1) * batch * hidden);
        var states = Zeros<float>((steps + 1) * batch * hidden);
        var error = Assert.Throws<ArgumentException>(() => Ops.LstmForwardSequence(gates.View, prepared, cells.View, states.View, null, steps, batch, hidden));
        Assert.That(error!.Message, Does.Contain("bf16"));

        prepared.Dispose();
        Assert.That(prepared.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => Ops.MatMul(h.View, prepared, null, c.View, shape), "a product never reads a freed copy");
    }
}
