using System.Runtime.InteropServices;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// The calls of NVIDIA's NCCL (<c>libnccl.so.2</c>) that an all-reduce of CUDA buffers needs, bound at run time like
/// <see cref="MpiNative"/>: the file named by <see cref="LibraryVariable"/>, else the loader's path, else the places
/// cuBLAS is looked for (CUDA toolkits, the <c>nvidia/nccl/lib</c> folder of Python's pip wheels, where PyTorch's CUDA
/// builds put it). UNTESTED ON A GPU: written and compiled without one (see docs/distributed.md).
/// </summary>
internal sealed unsafe class NcclNative
{
    /// <summary>Environment variable naming the NCCL library file to load first.</summary>
    public const string LibraryVariable = "SEQ2SEQ_NCCL_PATH";

    /// <summary>The size of <c>ncclUniqueId</c> (<c>NCCL_UNIQUE_ID_BYTES</c>).</summary>
    public const int UniqueIdBytes = 128;

    private const string FileName = "libnccl.so.2";
    private const int Float32 = 7; // ncclFloat32
    private const int Sum = 0; // ncclSum

    private readonly delegate* unmanaged<UniqueId*, int> getUniqueId;
    private readonly delegate* unmanaged<nint*, int, UniqueId, int, int> commInitRank;
    private readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> allReduce;
    private readonly delegate* unmanaged<nint, int> commDestroy;
    private readonly delegate* unmanaged<int, byte*> getErrorString;

    private NcclNative(nint library, string path)
    {
        LibraryPath = path;
        getUniqueId = (delegate* unmanaged<UniqueId*, int>)Export(library, path, "ncclGetUniqueId");
        commInitRank = (delegate* unmanaged<nint*, int, UniqueId, int, int>)Export(library, path, "ncclCommInitRank");
        allReduce = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Export(library, path, "ncclAllReduce");
        commDestroy = (delegate* unmanaged<nint, int>)Export(library, path, "ncclCommDestroy");
        getErrorString = (delegate* unmanaged<int, byte*>)Export(library, path, "ncclGetErrorString");
    }

    /// <summary>The file that was loaded.</summary>
    public string LibraryPath { get; }

    /// <summary>Loads NCCL, or returns null with the reason.</summary>
    public static NcclNative? TryLoad(out string reason)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } chosen)
        {
            candidates.Add(chosen);
        }

        candidates.Add(FileName);
        if (CudaLibraryResolver.FindNvidiaLibrary(FileName, "nccl", CudaLibraryResolver.CuBlasPrefixes()) is { } found)
        {
            candidates.Add(found);
        }

        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                try
                {
                    reason = $"NCCL ({candidate})";
                    return new NcclNative(handle, candidate);
                }
                catch (DistributedException e)
                {
                    reason = e.Message;
                    return null;
                }
            }
        }

        reason = $"no {FileName} found ({LibraryVariable}, the loader's path, CUDA toolkits, pip's nvidia/nccl)";
        return null;
    }

    /// <summary><c>ncclGetUniqueId</c>: the id rank 0 makes and broadcasts.</summary>
    public byte[] NewUniqueId()
    {
        UniqueId id;
        Check(getUniqueId(&id), "ncclGetUniqueId");
        return new ReadOnlySpan<byte>(id.Bytes, UniqueIdBytes).ToArray();
    }

    /// <summary><c>ncclCommInitRank</c>: joins the communicator of <paramref name="size"/> ranks named by <paramref name="uniqueId"/>.</summary>
    public nint InitRank(int size, ReadOnlySpan<byte> uniqueId, int rank)
    {
        UniqueId id;
        uniqueId[..UniqueIdBytes].CopyTo(new Span<byte>(id.Bytes, UniqueIdBytes));
        nint comm;
        Check(commInitRank(&comm, size, id, rank), "ncclCommInitRank");
        return comm;
    }

    /// <summary><c>ncclAllReduce</c> of floats in place, sum, on the legacy default stream (0).</summary>
    public void AllReduceSumInPlace(nint comm, nint deviceBuffer, long count) =>
        Check(allReduce((void*)deviceBuffer, (void*)deviceBuffer, (nuint)count, Float32, Sum, comm, 0), "ncclAllReduce");

    /// <summary><c>ncclCommDestroy</c>.</summary>
    public void Destroy(nint comm) => Check(commDestroy(comm), "ncclCommDestroy");

    private static nint Export(nint library, string path, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new DistributedException($"'{path}' has no '{name}': it is not NCCL 2");

    private void Check(int code, string call)
    {
        if (code != 0)
        {
            string message = Marshal.PtrToStringUTF8((nint)getErrorString(code)) ?? $"error {code}";
            throw new DistributedException($"{call} failed: {message} (NCCL result {code})");
        }
    }

    /// <summary><c>ncclUniqueId</c>: 128 opaque bytes, passed by value to <c>ncclCommInitRank</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct UniqueId
    {
        public fixed byte Bytes[UniqueIdBytes];
    }
}
