using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// An MPI job whose device buffers are CUDA memory: the gradient all-reduce runs on the device buffers with NCCL (no
/// host copies), bootstrapped over MPI (rank 0's NCCL id is broadcast); host values and broadcasts stay on MPI.
/// UNTESTED ON A GPU: written and compiled without one; the host-memory path of <see cref="MpiCommunicator"/> is the
/// tested one (see docs/distributed.md).
/// </summary>
internal sealed class NcclCommunicator : IGradientCommunicator, IDisposable
{
    private readonly MpiCommunicator mpi;
    private readonly ComputeDevice device;
    private readonly NcclNative nccl;
    private nint comm;

    private NcclCommunicator(MpiCommunicator mpi, ComputeDevice device, NcclNative nccl, nint comm)
    {
        this.mpi = mpi;
        this.device = device;
        this.nccl = nccl;
        this.comm = comm;
    }

    /// <inheritdoc />
    public int Rank => mpi.Rank;

    /// <inheritdoc />
    public int Size => mpi.Size;

    /// <inheritdoc />
    public string Description => $"MPI ({mpi.Library}), {Size} rank{(Size == 1 ? string.Empty : "s")}, CUDA gradients all-reduced by NCCL ({nccl.LibraryPath}; untested on a GPU)";

    /// <summary>
    /// On a CUDA device, NCCL over the ranks of <paramref name="mpi"/> where every rank can load it; else null and the
    /// reason (the caller keeps the host-memory path). Collective: every rank must call it, with its own device.
    /// </summary>
    /// <exception cref="DistributedException">NCCL was found everywhere but failed to start.</exception>
    public static NcclCommunicator? TryCreate(MpiCommunicator mpi, ComputeDevice device, out string reason)
    {
        ArgumentNullException.ThrowIfNull(mpi);
        ArgumentNullException.ThrowIfNull(device);
        reason = $"the device is {device.Info.Kind}, not CUDA";
        NcclNative? nccl = device.Info.Kind == DeviceKind.Cuda ? NcclNative.TryLoad(out reason) : null;

        // Every rank must take the same path, or the collectives would not match.
        Span<double> ready = [nccl is null ? 0 : 1];
        mpi.AllReduceSum(ready);
        if (ready[0] < mpi.Size)
        {
            reason = nccl is null ? reason : $"{mpi.Size - (int)ready[0]} rank(s) could not load NCCL";
            return null;
        }

        long[] id = new long[NcclNative.UniqueIdBytes / sizeof(long)];
        if (mpi.Rank == 0)
        {
            Buffer.BlockCopy(nccl!.NewUniqueId(), 0, id, 0, NcclNative.UniqueIdBytes);
        }

        mpi.Broadcast(id);
        byte[] bytes = new byte[NcclNative.UniqueIdBytes];
        Buffer.BlockCopy(id, 0, bytes, 0, bytes.Length);
        using (device.EnterExclusive())
        {
            reason = $"NCCL ({nccl!.LibraryPath})";
            return new NcclCommunicator(mpi, device, nccl, nccl.InitRank(mpi.Size, bytes, mpi.Rank));
        }
    }

    /// <inheritdoc />
    public void AllReduceSum(DeviceBuffer<float> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(comm == 0, this);

        // NCCL runs on the legacy default stream; waiting for the device before and after orders it with ILGPU's work.
        device.Synchronize();
        nccl.AllReduceSumInPlace(comm, buffer.NativePointer, buffer.Length);
        device.Synchronize();
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values) => mpi.AllReduceSum(values);

    /// <inheritdoc />
    public void Broadcast(DeviceBuffer<float> buffer) => mpi.Broadcast(buffer);

    /// <inheritdoc />
    public void Broadcast(Span<long> values) => mpi.Broadcast(values);

    /// <summary>Destroys the NCCL communicator (the MPI one stays with its owner).</summary>
    public void Dispose()
    {
        if (comm != 0)
        {
            nccl.Destroy(comm);
            comm = 0;
        }
    }
}
