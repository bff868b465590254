using ILGPU;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

public sealed class HostViewsTests
{
    [Test]
    public void A_span_over_a_CPU_accelerator_view_writes_the_buffer()
    {
        var device = TestDevices.Cpu();
        using var buffer = device.Upload<float>(Enumerable.Range(0, 40).Select(i => (float)i).ToArray(), "host view test");

        // A sub-view with an offset: the span must start at element 10, not at the buffer's start.
        ArrayView<float> view = buffer.Slice(10, 20);
        var span = HostViews.AsSpan(view);
        Assert.That(span.Length, Is.EqualTo(20));
        Assert.That(span[0], Is.EqualTo(10f));
        span[0] = -1f;
        span[19] = -2f;

        var back = buffer.ToArray();
        Assert.That(back[10], Is.EqualTo(-1f));
        Assert.That(back[29], Is.EqualTo(-2f));
        Assert.That(back[9], Is.EqualTo(9f));
        Assert.That(back[30], Is.EqualTo(30f));
    }

    [Test]
    public void Host_kernels_run_on_CPU_accelerator_buffers_between_device_launches()
    {
        var device = TestDevices.Cpu();
        var a = Tensors.Random(6 * 5, 1);
        var b = Tensors.Random(5 * 7, 2);
        using var da = device.Upload<float>(a, "A");
        using var db = device.Upload<float>(b, "B");
        using var dc = device.Allocate<float>(6 * 7, "C");
        using var dd = device.Allocate<float>(6 * 7, "C by the device");
        var shape = new MatMulShape(6, 7, 5);

        new HostKernels().MatMul(HostViews.AsSpan(da.View), HostViews.AsSpan(db.View), [], HostViews.AsSpan(dc.View), shape);
        device.Ops.MatMul(da.View, db.View, null, dd.View, shape);

        var expected = Array.ConvertAll(dd.ToArray(), v => (double)v);
        Tensors.AssertClose(dc.ToArray(), expected, "host product on device buffers", 1e-6, 1e-5);
    }

    [Test]
    public void An_empty_view_is_an_empty_span() =>
        Assert.That(HostViews.AsSpan(ArrayView<float>.Empty).IsEmpty, Is.True);
}
