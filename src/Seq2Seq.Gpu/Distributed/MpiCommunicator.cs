using System.Diagnostics;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// The ranks of an MPI job (<c>mpirun -np N …</c>), over Open MPI's <c>MPI_COMM_WORLD</c>. Device buffers are reduced
/// through host memory: copied to a pinned host array, reduced in place (<c>MPI_IN_PLACE</c>), copied back; on a
/// CPU device that is two memory copies of the buffer, on a GPU two transfers over the bus. One instance a process
/// (MPI is initialised once); disposing it calls <c>MPI_Finalize</c>, which every rank must reach.
/// </summary>
/// <remarks>
/// Open MPI's default error handler ends the whole job on an MPI error; a rank that fails outside MPI calls
/// <see cref="Abort"/>, which ends every rank (Open MPI's <c>mpirun</c> also ends the job when a rank exits without
/// finalising, e.g. killed). So a failing rank never leaves the others waiting in a collective.
/// </remarks>
internal sealed unsafe class MpiCommunicator : IGradientCommunicator, IDisposable
{
    /// <summary>The most elements one MPI call takes (its count is an int); larger buffers go in pieces.</summary>
    private const int MaxCount = 1 << 30;

    private static readonly Lock Creation = new();
    private static bool created;

    private readonly MpiNative mpi;
    private float[] staging = [];
    private bool disposed;

    private MpiCommunicator(MpiNative mpi)
    {
        this.mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
        Library = mpi.LibraryVersion();
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <summary>The MPI library's version line (e.g. "Open MPI v4.1.4").</summary>
    public string Library { get; }

    /// <inheritdoc />
    public string Description => $"MPI ({Library}), {Size} rank{(Size == 1 ? string.Empty : "s")}, device buffers reduced through host memory";

    /// <summary>How many float all-reduces (<see cref="AllReduceSum(DeviceBuffer{float})"/>) have run.</summary>
    public long BufferReductions { get; private set; }

    /// <summary>Bytes of one rank's buffers those all-reduces summed, in total.</summary>
    public long BufferReductionBytes { get; private set; }

    /// <summary>Wall time of those all-reduces, host copies included, in seconds (it includes waiting for slower ranks).</summary>
    public double BufferReductionSeconds { get; private set; }

    /// <summary>
    /// Loads Open MPI's library and initialises MPI (<c>MPI_Init_thread</c>, serialised calls). Under <c>mpirun</c> the
    /// rank and size come from it; started alone, the process is rank 0 of 1.
    /// </summary>
    /// <exception cref="DistributedException">The library is missing or not Open MPI's, MPI failed to start, or a
    /// communicator was created before in this process.</exception>
    public static MpiCommunicator Initialize()
    {
        lock (Creation)
        {
            if (created)
            {
                throw new DistributedException("MPI is initialised once a process, and an MPI communicator was already created");
            }

            var mpi = MpiNative.Load();
            mpi.Initialize();
            created = true;
            return new MpiCommunicator(mpi);
        }
    }

    /// <inheritdoc />
    public void AllReduceSum(DeviceBuffer<float> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(disposed, this);
        var clock = Stopwatch.StartNew();
        float[] host = Stage(buffer);
        fixed (float* data = host)
        {
            for (long start = 0; start < buffer.Length; start += MaxCount)
            {
                mpi.AllReduceSumInPlace(data + start, (int)Math.Min(MaxCount, buffer.Length - start), mpi.Float);
            }
        }

        buffer.CopyFrom(host.AsSpan(0, (int)buffer.Length));
        BufferReductions++;
        BufferReductionBytes += buffer.Bytes;
        BufferReductionSeconds += clock.Elapsed.TotalSeconds;
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        fixed (double* data = values)
        {
            mpi.AllReduceSumInPlace(data, values.Length, mpi.Double);
        }
    }

    /// <inheritdoc />
    public void Broadcast(DeviceBuffer<float> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(disposed, this);
        float[] host = Stage(buffer);
        fixed (float* data = host)
        {
            for (long start = 0; start < buffer.Length; start += MaxCount)
            {
                mpi.BroadcastFromRoot(data + start, (int)Math.Min(MaxCount, buffer.Length - start), mpi.Float);
            }
        }

        if (Rank != 0)
        {
            buffer.CopyFrom(host.AsSpan(0, (int)buffer.Length));
        }
    }

    /// <inheritdoc />
    public void Broadcast(Span<long> values)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        fixed (long* data = values)
        {
            mpi.BroadcastFromRoot(data, values.Length, mpi.Int64);
        }
    }

    /// <summary>Waits until every rank has called it (<c>MPI_Barrier</c>).</summary>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        mpi.Barrier();
    }

    /// <summary>
    /// Ends every rank of the job with <paramref name="exitCode"/> (<c>MPI_Abort</c>): what a rank that cannot go on
    /// does, so that the others do not wait for it in a collective. Open MPI does not return from it; should a library
    /// return, the process exits with the code.
    /// </summary>
    public void Abort(int exitCode)
    {
        mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>Finalises MPI (<c>MPI_Finalize</c>): every rank must reach it.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!mpi.IsFinalized())
        {
            mpi.Shutdown();
        }
    }

    /// <summary>A pinned host copy of the buffer (a staging array kept for the next call), read from the device.</summary>
    private float[] Stage(DeviceBuffer<float> buffer)
    {
        if (buffer.Length > Array.MaxLength)
        {
            throw new DistributedException($"a buffer of {buffer.Length:N0} floats is larger than a host array can stage");
        }

        if (staging.Length < buffer.Length)
        {
            staging = GC.AllocateUninitializedArray<float>((int)buffer.Length, pinned: true);
        }

        buffer.CopyTo(staging.AsSpan(0, (int)buffer.Length));
        return staging;
    }
}
