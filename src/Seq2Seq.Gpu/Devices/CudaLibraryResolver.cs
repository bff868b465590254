using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// ILGPU's CUDA binding imports the native library <c>cuda</c>, which .NET looks up as <c>libcuda.so</c>; machines
/// with only the NVIDIA driver installed often have just <c>libcuda.so.1</c>, and then ILGPU silently finds no GPU.
/// This resolver, installed once for ILGPU's assembly, also tries the versioned names.
/// <para>
/// ILGPU.Algorithms' cuBLAS binding imports the versioned names themselves (<c>libcublas.so.12</c>, then <c>.11</c>,
/// <c>.10</c> on Linux; <c>cublas64_12.dll</c>… on Windows), found only on the loader's path. Where cuBLAS is asked
/// for, <see cref="InstallCuBlas"/> adds, for ILGPU.Algorithms' assembly: the file named by
/// <see cref="CuBlasPathVariable"/> first, then the loader's path, then CUDA toolkit folders and the
/// <c>nvidia/cublas/lib</c> folder of Python's pip wheels (where PyTorch's CUDA builds put <c>libcublas.so.12</c>).
/// </para>
/// </summary>
internal static class CudaLibraryResolver
{
    /// <summary>Environment variable naming the cuBLAS library file to load, e.g. <c>…/site-packages/nvidia/cublas/lib/libcublas.so.12</c>.</summary>
    public const string CuBlasPathVariable = "SEQ2SEQ_CUBLAS_PATH";

    private static readonly string[] Candidates = ["libcuda.so", "libcuda.so.1", "nvcuda.dll"];
    private static int installed;
    private static int cuBlasInstalled;

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

    /// <summary>Installs the cuBLAS resolver on ILGPU.Algorithms' assembly (idempotent; one set by the application wins).</summary>
    public static void InstallCuBlas()
    {
        if (Interlocked.Exchange(ref cuBlasInstalled, 1) == 1)
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Runtime.Cuda.CuBlas).Assembly, ResolveCuBlas);
        }
        catch (InvalidOperationException)
        {
            // The application installed its own resolver for ILGPU.Algorithms: respect it.
        }
    }

    /// <summary>
    /// The first existing file <paramref name="libraryName"/> in the folders where CUDA toolkits and Python wheels put
    /// cuBLAS under the given installation prefixes (<c>PREFIX/lib64</c>, <c>PREFIX/lib</c>,
    /// <c>PREFIX/lib/python3*/{site,dist}-packages/nvidia/cublas/lib</c>), or null.
    /// </summary>
    internal static string? FindCuBlas(string libraryName, IEnumerable<string> prefixes) => FindNvidiaLibrary(libraryName, "cublas", prefixes);

    /// <summary>
    /// The first existing file <paramref name="libraryName"/> under the given prefixes, in <c>PREFIX/lib64</c>,
    /// <c>PREFIX/lib</c> and the folder of NVIDIA's pip wheel <paramref name="package"/>
    /// (<c>PREFIX/lib/python3*/{site,dist}-packages/nvidia/PACKAGE/lib</c>: cublas, nccl…), or null.
    /// </summary>
    internal static string? FindNvidiaLibrary(string libraryName, string package, IEnumerable<string> prefixes)
    {
        foreach (string prefix in prefixes)
        {
            if (!Directory.Exists(prefix))
            {
                continue;
            }

            var folders = new List<string> { Path.Combine(prefix, "lib64"), Path.Combine(prefix, "lib") };
            string lib = Path.Combine(prefix, "lib");
            if (Directory.Exists(lib))
            {
                foreach (string python in Directory.EnumerateDirectories(lib, "python3*").Order(StringComparer.Ordinal))
                {
                    folders.Add(Path.Combine(python, "site-packages", "nvidia", package, "lib"));
                    folders.Add(Path.Combine(python, "dist-packages", "nvidia", package, "lib"));
                }
            }

            foreach (string folder in folders)
            {
                string file = Path.Combine(folder, libraryName);
                if (File.Exists(file))
                {
                    return file;
                }
            }
        }

        return null;
    }

    /// <summary>Installation prefixes searched for cuBLAS: CUDA toolkits, active Python environments, the usual system ones.</summary>
    internal static IEnumerable<string> CuBlasPrefixes()
    {
        string[] variables = ["CUDA_PATH", "CUDA_HOME", "VIRTUAL_ENV", "CONDA_PREFIX"];
        foreach (string variable in variables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                yield return value;
            }
        }

        yield return "/usr/local/cuda";
        yield return "/usr/local";
        yield return "/usr";
        yield return "/opt/conda";
        yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local");
    }

    private static IntPtr ResolveCuBlas(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!libraryName.Contains("cublas", StringComparison.OrdinalIgnoreCase))
        {
            return IntPtr.Zero;
        }

        // An explicit file answers every version ILGPU asks for: the cublas*_v2 entry points it uses are the same in
        // 10-12. Where it does not load, the usual places are still searched.
        if (Environment.GetEnvironmentVariable(CuBlasPathVariable) is { Length: > 0 } explicitFile)
        {
            IntPtr loaded = LoadWithLt(explicitFile);
            if (loaded != IntPtr.Zero)
            {
                return loaded;
            }
        }

        if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out IntPtr handle))
        {
            return handle;
        }

        return FindCuBlas(libraryName, CuBlasPrefixes()) is { } found ? LoadWithLt(found) : IntPtr.Zero;
    }

    /// <summary>Loads a cuBLAS file after its companion libcublasLt from the same folder, where there is one.</summary>
    private static IntPtr LoadWithLt(string file)
    {
        string lt = Path.Combine(Path.GetDirectoryName(file) ?? ".", Path.GetFileName(file).Replace("cublas", "cublasLt", StringComparison.Ordinal));
        if (File.Exists(lt))
        {
            NativeLibrary.TryLoad(lt, out _);
        }

        return NativeLibrary.TryLoad(file, out IntPtr handle) ? handle : IntPtr.Zero;
    }

    /// <summary>
    /// Why ILGPU found no CUDA device, as far as the engine can tell: no driver library could be loaded (with the
    /// names tried), or the driver loads but reports no device (or one ILGPU does not support).
    /// </summary>
    internal static string WhyNoCuda()
    {
        foreach (string candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                NativeLibrary.Free(handle);
                return $"the CUDA driver ({candidate}) loads, but ILGPU found no CUDA device it supports";
            }
        }

        return $"no CUDA driver library could be loaded (tried {string.Join(", ", Candidates)})";
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
