using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Devices shared by the whole test run (opening one and compiling its kernels is the slow part), disposed once at
/// the end by <see cref="TestRunTeardown"/>.
/// </summary>
internal static class TestDevices
{
    private static readonly Lazy<ComputeDevice> CpuDefault = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Ilgpu));
    private static readonly Lazy<ComputeDevice> CpuNvidia = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Nvidia, CpuKernels.Ilgpu));
    private static readonly Lazy<ComputeDevice> CpuSimd = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Simd));
    private static readonly Lazy<ComputeDevice> CpuGpuPaths = new(OpenWithGpuPaths);
    private static readonly Lazy<ComputeDevice?> Cuda = new(OpenCudaOrNull);
    private static readonly Dictionary<(TestTarget, KernelPolicy), ComputeDevice> Twins = [];
    private static readonly Dictionary<TestTarget, DeviceOps> InstructionSetOps = [];

    /// <summary>The kernel policy of the persistent and fused GPU paths, on any accelerator (the CPU accelerator runs them for tests).</summary>
    public static KernelPolicy GpuPaths { get; } = new() { CpuKernels = CpuKernels.Ilgpu, Recurrence = RecurrentKernels.Persistent, PersistentDecode = true };

    /// <summary>The kernel policy of one launch an operation: per-operation recurrent steps and per-step decoding.</summary>
    public static KernelPolicy PerOperationPaths { get; } = new() { CpuKernels = CpuKernels.Ilgpu, Recurrence = RecurrentKernels.PerOperation, PersistentDecode = false };

    /// <summary>
    /// A device of the same kind and shape as <paramref name="target"/>'s, opened with <paramref name="policy"/>, shared
    /// by the run (a test that compares two kernel paths runs the same weights on two such twins).
    /// </summary>
    public static ComputeDevice Twin(TestTarget target, KernelPolicy policy)
    {
        For(target);
        lock (Twins)
        {
            if (!Twins.TryGetValue((target, policy), out var device))
            {
                device = target switch
                {
                    TestTarget.CpuDefault or TestTarget.CpuSimd => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, policy),
                    TestTarget.CpuNvidia => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Nvidia, policy),
                    TestTarget.CpuGpuPaths => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.NvidiaMultiprocessors, policy),
                    TestTarget.Cuda => ComputeDevice.Open(DeviceKind.Cuda, CpuSimulation.Default, policy),
                    _ => throw new ArgumentOutOfRangeException(nameof(target), target, "an instruction-set target has no kernel policy of its own"),
                };
                Twins[(target, policy)] = device;
            }

            return device;
        }
    }

    /// <summary>The CPU accelerator as the engine opens it by default: host SIMD kernels on the accelerator's buffers.</summary>
    public static ComputeDevice Cpu() => CpuSimd.Value;

    /// <summary>The CPU accelerator running the ILGPU kernels, in the given warp configuration.</summary>
    public static ComputeDevice CpuIlgpu(CpuSimulation simulation = CpuSimulation.Default) =>
        simulation == CpuSimulation.Nvidia ? CpuNvidia.Value : CpuDefault.Value;

    /// <summary>
    /// The device a test suite named by <paramref name="target"/> runs on (an instruction-set target's buffers live on
    /// the CPU accelerator of <see cref="TestTarget.CpuSimd"/>); CUDA suites are skipped where there is no GPU.
    /// </summary>
    public static ComputeDevice For(TestTarget target) => target switch
    {
        TestTarget.CpuDefault => CpuIlgpu(CpuSimulation.Default),
        TestTarget.CpuNvidia => CpuIlgpu(CpuSimulation.Nvidia),
        TestTarget.CpuSimd or TestTarget.CpuSimdPortable or TestTarget.CpuSimdAvx2 or TestTarget.CpuSimdAvx512 => CpuSimd.Value,
        TestTarget.CpuGpuPaths => CpuGpuPaths.Value,
        _ => Cuda.Value ?? IgnoreNoGpu(),
    };

    /// <summary>
    /// The operations a suite named by <paramref name="target"/> runs: the device's own, or for an instruction-set target
    /// the host kernels of that instruction set on all cores (at least two, so the threaded paths run even on one core).
    /// </summary>
    public static DeviceOps OpsFor(TestTarget target)
    {
        if (InstructionSetOf(target) is null)
        {
            return For(target).Ops;
        }

        lock (InstructionSetOps)
        {
            if (!InstructionSetOps.TryGetValue(target, out var ops))
            {
                ops = new DeviceOps(new HostComputeBackend(HostKernelsFor(target, Math.Max(2, Environment.ProcessorCount))));
                InstructionSetOps[target] = ops;
            }

            return ops;
        }
    }

    /// <summary>
    /// The host kernels of an instruction-set target on <paramref name="threads"/> threads; skips the test where the
    /// processor cannot run them (AVX-512 runs on .NET's software emulation of 512-bit vectors where the processor lacks it).
    /// </summary>
    public static HostKernels HostKernelsFor(TestTarget target, int threads)
    {
        var set = InstructionSetOf(target) ?? throw new ArgumentOutOfRangeException(nameof(target), target, "not an instruction-set target");
        bool emulate = set == HostInstructionSet.Avx512;
        if (!emulate && !HostKernels.IsSupported(set))
        {
            Assert.Ignore($"this processor does not support {set}");
        }

        return new HostKernels(set, threads, emulate);
    }

    /// <summary>The host instruction set an instruction-set target runs; null for the other targets.</summary>
    public static HostInstructionSet? InstructionSetOf(TestTarget target) => target switch
    {
        TestTarget.CpuSimdPortable => HostInstructionSet.Portable,
        TestTarget.CpuSimdAvx2 => HostInstructionSet.Avx2,
        TestTarget.CpuSimdAvx512 => HostInstructionSet.Avx512,
        _ => null,
    };

    internal static void DisposeAll()
    {
        lock (InstructionSetOps)
        {
            foreach (var ops in InstructionSetOps.Values)
            {
                ops.Dispose();
            }

            InstructionSetOps.Clear();
        }

        lock (Twins)
        {
            foreach (var twin in Twins.Values)
            {
                twin.Dispose();
            }

            Twins.Clear();
        }

        if (CpuDefault.IsValueCreated)
        {
            CpuDefault.Value.Dispose();
        }

        if (CpuNvidia.IsValueCreated)
        {
            CpuNvidia.Value.Dispose();
        }

        if (CpuSimd.IsValueCreated)
        {
            CpuSimd.Value.Dispose();
        }

        if (CpuGpuPaths.IsValueCreated)
        {
            CpuGpuPaths.Value.Dispose();
        }

        if (Cuda.IsValueCreated)
        {
            Cuda.Value?.Dispose();
        }
    }

    private static ComputeDevice IgnoreNoGpu()
    {
        Assert.Ignore("no CUDA device on this machine");
        throw new InvalidOperationException("unreachable");
    }

    private static ComputeDevice OpenWithGpuPaths() =>
        ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.NvidiaMultiprocessors, GpuPaths);

    private static ComputeDevice? OpenCudaOrNull()
    {
        try
        {
            return ComputeDevice.Open(DeviceKind.Cuda);
        }
        catch (Seq2Seq.Gpu.Errors.DeviceException)
        {
            return null;
        }
    }
}
