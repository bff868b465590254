using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// ILGPU's CUDA binding imports the native library <c>cuda</c>, which .NET looks up as <c>libcuda.so</c>; machines
/// with only the NVIDIA driver installed often have just <c>libcuda.so.1</c>, and then ILGPU silently finds no GPU.
/// This resolver, installed once for ILGPU's assembly, also tries the versioned names.
/// </summary>
internal static class CudaLibraryResolver
{
    private static readonly string[] Candidates = ["libcuda.so", "libcuda.so.1", "nvcuda.dll"];
    private static int installed;

    /// <summary>Installs the resolver (idempotent; a resolver installed by the host application wins).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1)
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The application installed its own resolver for ILGPU: respect it.
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!string.Equals(libraryName, "cuda", StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(libraryName, "nvcuda", StringComparison.OrdinalIgnoreCase))
        {
            return IntPtr.Zero;
        }

        foreach (string candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
