using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// Which kernels run a device's operations: chosen once, when the device is opened (<see cref="ComputeDevice.Open(DeviceKind, CpuSimulation, KernelPolicy)"/>),
/// and fixed for its life. A property left null takes the device's default (see <see cref="Resolve"/>);
/// <see cref="ComputeDevice.Policy"/> is the resolved policy, every property set. The command line's
/// <c>--cpu-kernels</c>, <c>--gpu-kernels</c> and <c>--gemm</c> fill it in.
/// </summary>
public sealed record KernelPolicy
{
    /// <summary>The device's defaults.</summary>
    public static KernelPolicy Default { get; } = new();

    /// <summary>On ILGPU's CPU accelerator: host SIMD kernels on its buffers (<see cref="Devices.CpuKernels.Simd"/>, the default) or the ILGPU kernels.</summary>
    public CpuKernels CpuKernels { get; init; } = CpuKernels.Auto;

    /// <summary>How the ILGPU kernels run recurrences; null: persistent on CUDA, fused on other GPUs, per operation on the CPU accelerator.</summary>
    public RecurrentKernels? Recurrence { get; init; }

    /// <summary>Whether greedy decoding runs as one persistent kernel; null: on CUDA with the shared memory for it.</summary>
    public bool? PersistentDecode { get; init; }

    /// <summary>What computes the ILGPU backend's matrix products (cuBLAS only where it can be loaded; see <c>DeviceOps.GemmBackend</c>).</summary>
    public GpuGemm Gemm { get; init; } = GpuGemm.Own;

    /// <summary>Whether the resolved policy runs the host SIMD kernels (the CPU accelerator with <see cref="Devices.CpuKernels.Simd"/>).</summary>
    internal bool UsesHostKernels => CpuKernels == CpuKernels.Simd;

    /// <summary>
    /// The policy with every null filled from the device's properties, or a <see cref="DeviceException"/> when a choice
    /// cannot run there: persistent kernels need every group resident at once, which CUDA (one group a multiprocessor)
    /// and the CPU accelerator give and OpenCL does not promise; fused and persistent kernels need their shared memory.
    /// </summary>
    internal KernelPolicy Resolve(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        bool cpu = info.Kind == DeviceKind.Cpu;
        var cpuKernels = !cpu ? CpuKernels.Ilgpu : CpuKernels == CpuKernels.Auto ? CpuKernels.Simd : CpuKernels;
        bool stepFits = info.MaxSharedMemoryPerGroup >= LstmStepKernels.SharedBytes;
        bool decodeFits = info.MaxSharedMemoryPerGroup >= PersistentDecodeKernels.SharedBytes;
        var recurrence = Recurrence ?? (cpu || !stepFits ? RecurrentKernels.PerOperation : info.Kind == DeviceKind.Cuda ? RecurrentKernels.Persistent : RecurrentKernels.Fused);
        bool persistentDecode = PersistentDecode ?? (info.Kind == DeviceKind.Cuda && decodeFits);
        if (recurrence != RecurrentKernels.PerOperation && !stepFits)
        {
            throw new DeviceException($"{info.Name}: {Name(recurrence)} recurrent kernels need {LstmStepKernels.SharedBytes} bytes of shared memory a group, the device has {info.MaxSharedMemoryPerGroup}");
        }

        if (persistentDecode && !decodeFits)
        {
            throw new DeviceException($"{info.Name}: the persistent decoder needs {PersistentDecodeKernels.SharedBytes} bytes of shared memory a group, the device has {info.MaxSharedMemoryPerGroup}");
        }

        if ((recurrence == RecurrentKernels.Persistent || persistentDecode) && info.Kind == DeviceKind.OpenCL)
        {
            throw new DeviceException($"{info.Name}: persistent kernels need every work-group resident at once, which OpenCL does not promise; use fused or per-op kernels");
        }

        return this with { CpuKernels = cpuKernels, Recurrence = recurrence, PersistentDecode = persistentDecode };
    }

    /// <summary>The <c>--gpu-kernels</c> word of a recurrence choice.</summary>
    internal static string Name(RecurrentKernels recurrence) => recurrence switch
    {
        RecurrentKernels.Persistent => "persistent",
        RecurrentKernels.Fused => "fused",
        _ => "per-op",
    };
}
