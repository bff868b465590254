using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// Base of the suites of what only the host kernels have (thread counts, the blocking of their product, the checks of
/// their span API): one fixture per instruction set (<see cref="DeviceTargets.HostInstructionSets"/>), skipped where the
/// processor cannot run it; AVX-512 runs on .NET's software emulation where the processor lacks it. What every backend
/// computes is checked against the reference by the operation suites in Kernels/, on these instruction sets too.
/// </summary>
public abstract class HostTestBase
{
    /// <summary>Creates the suite for an instruction-set target.</summary>
    protected HostTestBase(TestTarget target)
    {
        Target = target;
    }

    /// <summary>The instruction-set target under test.</summary>
    protected TestTarget Target { get; }

    /// <summary>The kernels of the instruction set on all cores (at least two).</summary>
    private protected HostKernels Kernels { get; private set; } = null!;

    /// <summary>The kernels of the instruction set on the calling thread only.</summary>
    private protected HostKernels SingleThreaded { get; private set; } = null!;

    /// <summary>The kernels of the instruction set forced onto two threads (the determinism tests use it even on one core).</summary>
    private protected HostKernels TwoThreads { get; private set; } = null!;

    /// <summary>Creates the kernels, or skips the suite where the processor cannot run the instruction set.</summary>
    [OneTimeSetUp]
    public void CreateKernels()
    {
        Kernels = TestDevices.HostKernelsFor(Target, Math.Max(2, Environment.ProcessorCount));
        SingleThreaded = TestDevices.HostKernelsFor(Target, 1);
        TwoThreads = TestDevices.HostKernelsFor(Target, 2);
    }
}
