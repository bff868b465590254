using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Logging;

namespace Seq2Seq.Gpu.Compute;

/// <summary>The one place that picks a device's backend, from its resolved <see cref="KernelPolicy"/>.</summary>
internal static class ComputeBackends
{
    /// <summary>The host SIMD kernels where the policy says so (the CPU accelerator's default), else the ILGPU kernels.</summary>
    public static IComputeBackend Create(ComputeDevice device, KernelPolicy policy)
    {
        if (!policy.UsesHostKernels)
        {
            return new IlgpuBackend(device, policy);
        }

        bool cuBlasAsked = policy.Gemm == GpuGemm.CuBlas;
        var host = new HostComputeBackend(new HostKernels(), cuBlasAsked);
        if (cuBlasAsked)
        {
            EngineLog.CuBlasFallback(device.Logger, "the host SIMD kernels", "not a CUDA device");
        }

        return host;
    }
}
