using System.Runtime.InteropServices;
using System.Text;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// The few calls of Open MPI's C library (<c>libmpi.so.40</c>) that data-parallel training makes, bound at run time:
/// the library is loaded by <see cref="Load"/>, never by the loader, so a process that does not ask for a distributed
/// run never needs MPI. Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>…) are the
/// addresses of exported objects (<c>ompi_mpi_comm_world</c>…), resolved here with <see cref="NativeLibrary.GetExport"/>;
/// MPICH-family libraries use integer handles instead and are refused with a message saying so.
/// </summary>
internal sealed unsafe class MpiNative
{
    /// <summary>Environment variable naming the MPI library file to load instead of the default names.</summary>
    public const string LibraryVariable = "SEQ2SEQ_MPI_LIBRARY";

    /// <summary><c>MPI_THREAD_SERIALIZED</c>: any thread may call, one at a time (the trainer calls from one).</summary>
    private const int ThreadSerialized = 2;

    /// <summary>Open MPI's <c>MPI_MAX_LIBRARY_VERSION_STRING</c> and <c>MPI_MAX_ERROR_STRING</c> (both 256).</summary>
    private const int MaxString = 256;

    private static readonly string[] DefaultNames = ["libmpi.so.40", "libmpi.so"];

    private readonly delegate* unmanaged<int*, void*, int, int*, int> initThread;
    private readonly delegate* unmanaged<int*, int> initialized;
    private readonly delegate* unmanaged<int*, int> finalized;
    private readonly delegate* unmanaged<int> finalize;
    private readonly delegate* unmanaged<nint, int*, int> commRank;
    private readonly delegate* unmanaged<nint, int*, int> commSize;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> bcast;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    private readonly delegate* unmanaged<nint, int> barrier;
    private readonly delegate* unmanaged<nint, int, int> abort;
    private readonly delegate* unmanaged<byte*, int*, int> libraryVersion;
    private readonly delegate* unmanaged<int, byte*, int*, int> errorString;

    private MpiNative(nint library, string path)
    {
        LibraryPath = path;
        initThread = (delegate* unmanaged<int*, void*, int, int*, int>)Export(library, "MPI_Init_thread");
        initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        commRank = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_size");
        bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(library, "MPI_Bcast");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export(library, "MPI_Allreduce");
        barrier = (delegate* unmanaged<nint, int>)Export(library, "MPI_Barrier");
        abort = (delegate* unmanaged<nint, int, int>)Export(library, "MPI_Abort");
        libraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string");
        if (!NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out nint world))
        {
            throw new DistributedException($"'{path}' is not Open MPI's library (it has no ompi_mpi_comm_world); --distributed is built for Open MPI 4 or later");
        }

        World = world;
        Float = Export(library, "ompi_mpi_float");
        Double = Export(library, "ompi_mpi_double");
        Int64 = Export(library, "ompi_mpi_int64_t");
        Sum = Export(library, "ompi_mpi_op_sum");
    }

    /// <summary>The file that was loaded.</summary>
    public string LibraryPath { get; }

    /// <summary><c>MPI_COMM_WORLD</c>.</summary>
    public nint World { get; }

    /// <summary><c>MPI_FLOAT</c>.</summary>
    public nint Float { get; }

    /// <summary><c>MPI_DOUBLE</c>.</summary>
    public nint Double { get; }

    /// <summary><c>MPI_INT64_T</c>.</summary>
    public nint Int64 { get; }

    /// <summary><c>MPI_SUM</c>.</summary>
    public nint Sum { get; }

    /// <summary>Loads the library: <see cref="LibraryVariable"/>'s file if set, else <c>libmpi.so.40</c>, then <c>libmpi.so</c>.</summary>
    /// <exception cref="DistributedException">No library could be loaded, or it is not Open MPI's.</exception>
    public static MpiNative Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
        string[] names = string.IsNullOrEmpty(chosen) ? DefaultNames : [chosen];
        var failures = new List<string>();
        foreach (string name in names)
        {
            try
            {
                return new MpiNative(NativeLibrary.Load(name), name);
            }
            catch (DllNotFoundException e)
            {
                // .NET's message is a generic sentence, then the loader's own lines (dlerror), which say what is wrong.
                string[] lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                failures.Add(lines.Length > 1 ? string.Join(", ", lines.Skip(1)) : $"{name}: {e.Message}");
            }
            catch (BadImageFormatException e)
            {
                failures.Add($"{name}: {e.Message}");
            }
        }

        throw new DistributedException(
            $"the MPI library could not be loaded ({string.Join("; ", failures)}): --distributed needs Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or {LibraryVariable} naming its libmpi.so");
    }

    /// <summary><c>MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &amp;provided)</c>, unless MPI is already initialised.</summary>
    public void Initialize()
    {
        int flag;
        Check(initialized(&flag), "MPI_Initialized");
        if (flag != 0)
        {
            return;
        }

        int provided;
        Check(initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
    }

    /// <summary>Whether <c>MPI_Finalize</c> has run.</summary>
    public bool IsFinalized()
    {
        int flag;
        Check(finalized(&flag), "MPI_Finalized");
        return flag != 0;
    }

    /// <summary><c>MPI_Finalize</c>.</summary>
    public void Shutdown() => Check(finalize(), "MPI_Finalize");

    /// <summary><c>MPI_Comm_rank(MPI_COMM_WORLD)</c>.</summary>
    public int Rank()
    {
        int rank;
        Check(commRank(World, &rank), "MPI_Comm_rank");
        return rank;
    }

    /// <summary><c>MPI_Comm_size(MPI_COMM_WORLD)</c>.</summary>
    public int Size()
    {
        int size;
        Check(commSize(World, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary><c>MPI_Allreduce(MPI_IN_PLACE, data, count, type, MPI_SUM, MPI_COMM_WORLD)</c>.</summary>
    public void AllReduceSumInPlace(void* data, int count, nint type) =>
        Check(allreduce((void*)1, data, count, type, Sum, World), "MPI_Allreduce"); // Open MPI's MPI_IN_PLACE is (void*)1

    /// <summary><c>MPI_Bcast(data, count, type, 0, MPI_COMM_WORLD)</c>.</summary>
    public void BroadcastFromRoot(void* data, int count, nint type) => Check(bcast(data, count, type, 0, World), "MPI_Bcast");

    /// <summary><c>MPI_Barrier(MPI_COMM_WORLD)</c>.</summary>
    public void Barrier() => Check(barrier(World), "MPI_Barrier");

    /// <summary><c>MPI_Abort(MPI_COMM_WORLD, code)</c>: ends every rank of the job (it does not return in Open MPI).</summary>
    public void Abort(int code) => abort(World, code);

    /// <summary>The first line of <c>MPI_Get_library_version</c> (e.g. "Open MPI v4.1.4, package: …").</summary>
    public string LibraryVersion()
    {
        byte* text = stackalloc byte[MaxString];
        int length;
        Check(libraryVersion(text, &length), "MPI_Get_library_version");
        string version = Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MaxString)).TrimEnd('\0');
        int cut = version.IndexOfAny([',', '\n']);
        return (cut > 0 ? version[..cut] : version).Trim();
    }

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new DistributedException($"the MPI library has no '{name}': it is not an Open MPI 4 (or later) libmpi");

    private void Check(int code, string call)
    {
        if (code == 0)
        {
            return;
        }

        byte* text = stackalloc byte[MaxString];
        int length = 0;
        string message = errorString(code, text, &length) == 0 ? Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MaxString)) : $"error {code}";
        throw new DistributedException($"{call} failed: {message}");
    }
}
