using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Every kernel of the kernels assembly, and its PTX, without a GPU.</summary>
public static class PtxCompiler
{
    private static readonly Type[] Storages = [typeof(Fp32Elements), typeof(BFloat16Elements)];

    /// <summary>
    /// Every public static method of a <c>*Kernels</c> class, ordered by name; a first parameter of type Index1D
    /// means implicitly grouped, otherwise explicitly grouped. A kernel generic over its weight operand's storage
    /// (<see cref="IMatrixElements"/>) is listed once per storage the engine loads it with: FP32 and bfloat16.
    /// </summary>
    public static IEnumerable<MethodInfo> Kernels() =>
        typeof(LstmGates).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels", StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .SelectMany(m => m.IsGenericMethodDefinition ? Storages.Select(storage => m.MakeGenericMethod(storage)) : [m])
            .OrderBy(Name, StringComparer.Ordinal);

    /// <summary><c>Class.Method</c>, with the storage type for a generic kernel: <c>Class.Method&lt;BFloat16Elements&gt;</c>.</summary>
    public static string Name(MethodInfo kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.IsGenericMethod ? $"{BaseName(kernel)}<{string.Join(",", kernel.GetGenericArguments().Select(t => t.Name))}>" : BaseName(kernel);
    }

    /// <summary><c>Class.Method</c>, whatever the storage.</summary>
    public static string BaseName(MethodInfo kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return $"{kernel.DeclaringType!.Name}.{kernel.Name}";
    }

    /// <summary>Whether ILGPU picks the group size (a first parameter of type Index1D) rather than the engine.</summary>
    public static bool ImplicitlyGrouped(MethodInfo kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.GetParameters()[0].ParameterType == typeof(Index1D);
    }

    /// <summary>The kernel's PTX for <paramref name="architecture"/> in PTX ISA <paramref name="isa"/>.</summary>
    public static string Compile(MethodInfo kernel, CudaArchitecture architecture, CudaInstructionSet isa)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(OptimizationLevel.O1));
        using var backend = new PTXBackend(context, architecture, isa, null!);
        var entry = ImplicitlyGrouped(kernel)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }
}
