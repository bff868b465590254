using ILGPU;
using ILGPU.Runtime;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// A dense one-dimensional buffer in a <see cref="ComputeDevice"/>'s memory, counted in the device's allocation
/// statistics. Kernels receive its <see cref="View"/> (or sub-views of it); host copies are synchronous.
/// </summary>
/// <typeparam name="T">Element type (float or int in this engine).</typeparam>
internal sealed class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly ComputeDevice device;
    private MemoryBuffer1D<T, Stride1D.Dense>? buffer;

    internal DeviceBuffer(ComputeDevice device, MemoryBuffer1D<T, Stride1D.Dense> buffer)
    {
        this.device = device;
        this.buffer = buffer;
    }

    /// <summary>Number of elements.</summary>
    public long Length => Buffer.Length;

    /// <summary>Size in bytes.</summary>
    public long Bytes => Buffer.LengthInBytes;

    /// <summary>The whole buffer as a dense view for kernels.</summary>
    public ArrayView<T> View => Buffer.View.AsContiguous();

    /// <summary>The buffer's address in the device's memory (a CUDA device pointer on CUDA), for native libraries.</summary>
    internal nint NativePointer => Buffer.NativePtr;

    /// <summary>Whether the buffer has been disposed.</summary>
    public bool IsDisposed => buffer is null;

    private MemoryBuffer1D<T, Stride1D.Dense> Buffer => buffer ?? throw new ObjectDisposedException(nameof(DeviceBuffer<T>));

    /// <summary>Elements [offset, offset + length) as a dense view.</summary>
    public ArrayView<T> Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"slice [{offset}, {offset + length}) is outside a buffer of {Length} elements");
        }

        return View.SubView(offset, length);
    }

    /// <summary>Copies host data into the buffer, starting at <paramref name="offset"/>.</summary>
    public unsafe void CopyFrom(ReadOnlySpan<T> source, long offset = 0)
    {
        if (source.IsEmpty)
        {
            return;
        }

        var target = Slice(offset, source.Length);

        // Pinned: ILGPU takes a raw pointer from the reference without pinning it and allocates before it copies, so a
        // collection in between would move a managed array and the copy would read its old address.
        fixed (T* pinned = source)
        {
            target.CopyFromCPU(ref *pinned, source.Length);
        }
    }

    /// <summary>Copies elements starting at <paramref name="offset"/> into host memory (waits for pending work first).</summary>
    public unsafe void CopyTo(Span<T> destination, long offset = 0)
    {
        if (destination.IsEmpty)
        {
            return;
        }

        var source = Slice(offset, destination.Length);
        device.Synchronize();

        // Pinned for the reason given in CopyFrom: unpinned, a collection during the copy sends it to the array's old
        // address (the array stays all zeros and the heap is corrupted).
        fixed (T* pinned = destination)
        {
            source.CopyToCPU(ref *pinned, destination.Length);
        }
    }

    /// <summary>Copies the whole buffer into a new host array.</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Sets every element to zero (a device memset).</summary>
    public void Clear() => Buffer.MemSetToZero();

    /// <inheritdoc />
    public void Dispose()
    {
        var owned = Interlocked.Exchange(ref buffer, null);
        if (owned is not null)
        {
            device.OnFreed(owned.LengthInBytes);
            owned.Dispose();
        }
    }
}
