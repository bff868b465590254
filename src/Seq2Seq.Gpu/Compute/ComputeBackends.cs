using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Compute;

/// <summary>The one place that picks a device's backend, from its resolved <see cref="KernelPolicy"/>.</summary>
internal static class ComputeBackends
{
    /// <summary>The host SIMD kernels where the policy says so (the CPU accelerator's default), else the ILGPU kernels.</summary>
    public static IComputeBackend Create(ComputeDevice device, KernelPolicy policy) =>
        policy.UsesHostKernels ? new HostComputeBackend(new HostKernels(), policy.Gemm == GpuGemm.CuBlas) : new IlgpuBackend(device, policy);
}
