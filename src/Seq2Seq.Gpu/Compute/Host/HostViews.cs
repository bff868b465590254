using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Host spans over the buffers of ILGPU's CPU accelerator, whose memory is ordinary host memory (unmanaged, so it
/// never moves), for <see cref="HostKernels"/>. ILGPU 1.5.3's public <c>ArrayViewExtensions.LoadEffectiveAddress</c>
/// returns a reference to a view's first element (buffer pointer + view index · element size). Kernel launches on the
/// CPU accelerator complete before the launch call returns, so no synchronisation is needed before using the span.
/// A span is valid only while its buffer is alive.
/// </summary>
internal static class HostViews
{
    /// <summary>The elements of a dense view of a CPU-accelerator buffer as a span.</summary>
    /// <exception cref="InvalidOperationException">The view belongs to another kind of accelerator.</exception>
    public static Span<T> AsSpan<T>(ArrayView<T> view)
        where T : unmanaged
    {
        if (view.Length == 0)
        {
            return [];
        }

        if (view.GetAcceleratorType() != AcceleratorType.CPU)
        {
            throw new InvalidOperationException($"a {view.GetAcceleratorType()} view is not in host memory; only CPU-accelerator views can be read as spans");
        }

        ref byte first = ref view.LoadEffectiveAddress();
        return MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref first), checked((int)view.Length));
    }
}
