using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// Base of the host-kernel suites: one fixture per vector path, skipped where the processor cannot run it. The
/// emulated AVX-512 path runs the 512-bit code on software vectors, so its logic is tested on any machine.
/// </summary>
public abstract class HostTestBase
{
    /// <summary>Creates the suite for a path.</summary>
    protected HostTestBase(HostPath path)
    {
        Path = path;
    }

    /// <summary>Every path, for <see cref="TestFixtureSourceAttribute"/>.</summary>
    public static IEnumerable<HostPath> Paths => Enum.GetValues<HostPath>();

    /// <summary>The path under test.</summary>
    protected HostPath Path { get; }

    /// <summary>The kernels of the path on all cores.</summary>
    protected HostKernels Kernels { get; private set; } = null!;

    /// <summary>The kernels of the path on the calling thread only.</summary>
    protected HostKernels SingleThreaded { get; private set; } = null!;

    /// <summary>The kernels of the path forced onto two threads (the determinism tests use it even on one core).</summary>
    protected HostKernels TwoThreads { get; private set; } = null!;

    /// <summary>Skips paths this processor cannot run and creates the kernels.</summary>
    [OneTimeSetUp]
    public void CreateKernels()
    {
        var set = Path switch
        {
            HostPath.Portable => HostInstructionSet.Portable,
            HostPath.Avx2 => HostInstructionSet.Avx2,
            _ => HostInstructionSet.Avx512,
        };
        bool native = HostKernels.IsSupported(set);
        if (Path == HostPath.Avx512Emulated && native)
        {
            Assert.Ignore("AVX-512 runs natively here; the native fixture covers it");
        }

        if (Path != HostPath.Avx512Emulated && !native)
        {
            Assert.Ignore($"this processor does not support {set}");
        }

        bool emulate = Path == HostPath.Avx512Emulated;
        Kernels = new HostKernels(set, Math.Max(2, Environment.ProcessorCount), emulate);
        SingleThreaded = new HostKernels(set, 1, emulate);
        TwoThreads = new HostKernels(set, 2, emulate);
    }
}
