using System.Reflection;
using ILGPU.Runtime.Cuda;
using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// NVIDIA's assembler, without a GPU: every kernel assembled for sm_80, sm_89 and sm_90 (PTX ISA 7.8, what CUDA 11.8's
/// ptxas reads) with no spills and with registers and shared memory inside what its launches assume; and the proof
/// that the persistent kernels' grids are resident on the GPUs of <see cref="GpuLimits.Known"/> (their grid barrier
/// would wait forever otherwise). Skipped, with the reason, where ptxas cannot be had.
/// </summary>
[Category("Ptxas")]
public sealed class PtxasTests
{
    /// <summary>Registers ptxas may give a thread at most.</summary>
    private const int MaxRegisters = 255;

    /// <summary>Static shared memory a group may declare.</summary>
    private const int StaticSharedLimit = 48 * 1024;

    private static readonly string[] Architectures = ["sm_80", "sm_89", "sm_90"];

    /// <summary>The persistent kernels: one group a multiprocessor, meeting at a grid barrier.</summary>
    private static readonly string[] PersistentKernels = ["PersistentSequenceKernels.Forward", "PersistentSequenceKernels.Backward", "PersistentDecodeKernels.GreedyDecode"];

    private static readonly Dictionary<(string Kernel, string Architecture), PtxasReport> Reports = [];

    /// <summary>
    /// Threads a group and shared bytes that the engine's launches of each explicitly grouped kernel assume (the
    /// implicitly grouped ones get their group size from the driver's occupancy estimate, so their registers only have
    /// to fit a thread).
    /// </summary>
    private static Dictionary<string, (int Threads, int SharedBytes)> Launches => new()
    {
        ["MatMulKernels.MatMulTiled"] = (16 * 16, 2 * MatMulKernels.MaxTile * MatMulKernels.MaxTile * sizeof(float)),
        ["MatMulKernels.MatMulRegisterBlocked"] = (MatMulKernels.MaxBlockedGroupSide * MatMulKernels.MaxBlockedGroupSide, MatMulKernels.RegisterBlockedSharedBytes),
        ["SoftmaxKernels.CrossEntropyWarpPerRow"] = (4 * 32, StaticSharedLimit),
        ["LstmStepKernels.FusedForward"] = (IlgpuBackend.MaxStepGroupThreads, LstmStepKernels.SharedBytes),
        ["LstmStepKernels.FusedBackward"] = (IlgpuBackend.MaxStepGroupThreads, LstmStepKernels.SharedBytes),
        ["PersistentSequenceKernels.Forward"] = (IlgpuBackend.MaxStepGroupThreads, LstmStepKernels.SharedBytes),
        ["PersistentSequenceKernels.Backward"] = (IlgpuBackend.MaxStepGroupThreads, LstmStepKernels.SharedBytes),
        ["PersistentDecodeKernels.GreedyDecode"] = (PersistentDecodeKernels.MaxGroupSize, PersistentDecodeKernels.SharedBytes),
    };

    [OneTimeSetUp]
    public void FindPtxas()
    {
        if (Ptxas.Path is null)
        {
            Assert.Ignore(Ptxas.Reason);
        }
    }

    [Test]
    public void Every_explicitly_grouped_kernel_has_a_launch_budget()
    {
        var explicitKernels = PtxCompiler.Kernels().Where(k => !PtxCompiler.ImplicitlyGrouped(k)).Select(PtxCompiler.BaseName).Distinct();
        Assert.That(Launches.Keys, Is.EquivalentTo(explicitKernels), "a new explicitly grouped kernel needs its launch shape here");
    }

    [TestCaseSource(nameof(Cases))]
    public void Kernel_assembles_without_spills_within_its_launch_budget(MethodInfo kernel, string architecture)
    {
        var report = Report(kernel, architecture);
        string name = PtxCompiler.Name(kernel);
        TestContext.Out.WriteLine($"{name} {architecture}: {report.Registers} registers, {report.SharedBytes} bytes shared, {report.StackFrameBytes} bytes stack");

        Assert.That(report.SpillStoreBytes + report.SpillLoadBytes, Is.Zero, $"spills: {report.Text}");
        Assert.That(report.Registers, Is.LessThanOrEqualTo(MaxRegisters));
        if (PtxCompiler.ImplicitlyGrouped(kernel))
        {
            Assert.That(report.SharedBytes, Is.Zero, "implicitly grouped kernels use no shared memory");
            return;
        }

        var (threads, sharedBudget) = Launches[PtxCompiler.BaseName(kernel)];
        Assert.That(report.SharedBytes, Is.LessThanOrEqualTo(Math.Min(sharedBudget, StaticSharedLimit)), "shared memory within what the launch and the device checks assume");
        foreach (var gpu in GpuLimits.Known.Where(g => g.Architecture == architecture))
        {
            Assert.That(gpu.ResidentGroups(threads, report.Registers, report.SharedBytes), Is.GreaterThanOrEqualTo(1), $"a group of {threads} threads fits one {gpu.Name} multiprocessor");
        }
    }

    /// <summary>
    /// The grid barrier needs every group of a persistent launch resident at once. The engine launches at most one group
    /// a multiprocessor (<see cref="IlgpuBackend.PersistentGridFor"/>), with the group shape of
    /// <see cref="IlgpuBackend.StepGroupFor"/>; so the launch is resident when one such group fits a multiprocessor beside
    /// nothing else, which is what this checks from ptxas' registers and shared memory and the device's limits, for every
    /// named configuration's training and decoding shapes. The runtime occupancy query stays as the last guard.
    /// </summary>
    [Test]
    public void Persistent_grids_of_the_named_configurations_are_resident_on_every_known_gpu()
    {
        TestContext.Out.WriteLine("| GPU | kernel | configuration | group (units x rows) | grid | registers | shared bytes | resident groups / SM |");
        TestContext.Out.WriteLine("|---|---|---|---|---:|---:|---:|---:|");
        foreach (var gpu in GpuLimits.Known)
        {
            var info = new DeviceInfo(gpu.Name, DeviceKind.Cuda, 80L << 30, 32, gpu.Multiprocessors, 1024, StaticSharedLimit);
            foreach (var method in PtxCompiler.Kernels().Where(k => PersistentKernels.Contains(PtxCompiler.BaseName(k))))
            {
                string kernel = PtxCompiler.Name(method);
                var report = Report(method, gpu.Architecture);
                foreach (var config in BenchmarkConfig.All)
                {
                    bool decode = kernel.StartsWith("PersistentDecode", StringComparison.Ordinal);
                    foreach (int batch in decode ? new[] { 1, config.Batch } : [config.Batch])
                    {
                        long otherWork = decode ? IlgpuBackend.DecodeWork(info, new GreedyDecodeShape(batch, config.Hidden, config.Layers, config.TargetVocab, config.Embedding, config.Embedding == 0, 0, 0, 0, 1, 0)) : 0;
                        var (groups, units, rows) = IlgpuBackend.PersistentGridFor(info, batch, config.Hidden, otherWork);
                        int resident = gpu.ResidentGroups(units * rows, report.Registers, report.SharedBytes);
                        TestContext.Out.WriteLine($"| {gpu.Name} | {kernel} | {config.Name} B {batch} H {config.Hidden} | {units} x {rows} | {groups} | {report.Registers} | {report.SharedBytes} | {resident} |");

                        Assert.That(groups, Is.LessThanOrEqualTo(gpu.Multiprocessors), "at most one group a multiprocessor");
                        Assert.That(resident, Is.GreaterThanOrEqualTo(1), $"{kernel} on {gpu.Name}, {config.Name} batch {batch}: a group must fit a multiprocessor");
                    }
                }
            }
        }
    }

    [Test]
    public void The_residency_arithmetic_counts_registers_by_warp_and_reserves_shared_memory()
    {
        var h100 = GpuLimits.Known[0];

        // 256 threads at 64 registers: 8 warps of 2,048 registers, 16,384 a group, four groups in 65,536.
        Assert.That(h100.ResidentGroups(256, 64, 0), Is.EqualTo(4));

        // 65 registers round up to 72 a thread (2,304 a warp): 18,432 a group, three groups.
        Assert.That(h100.ResidentGroups(256, 65, 0), Is.EqualTo(3));

        // 100 KB a group plus the 1 KB the system keeps: two in 228 KB.
        Assert.That(h100.ResidentGroups(32, 16, 100 * 1024), Is.EqualTo(2));

        // 1,024 threads: two a multiprocessor by threads (2,048), though registers would allow more.
        Assert.That(h100.ResidentGroups(1024, 16, 0), Is.EqualTo(2));
        Assert.That(h100.ResidentGroups(256, 255, 0), Is.EqualTo(1), "255 registers round up to 256: exactly the register file at 256 threads");
        Assert.That(h100.ResidentGroups(512, 255, 0), Is.Zero, "and not at 512");
    }

    private static IEnumerable<TestCaseData> Cases() =>
        PtxCompiler.Kernels().SelectMany(k => Architectures.Select(a => new TestCaseData(k, a).SetArgDisplayNames(PtxCompiler.Name(k), a)));

    private static PtxasReport Report(MethodInfo kernel, string architecture)
    {
        var key = (PtxCompiler.Name(kernel), architecture);
        lock (Reports)
        {
            if (!Reports.TryGetValue(key, out var report))
            {
                var target = architecture switch
                {
                    "sm_80" => CudaArchitecture.SM_80,
                    "sm_89" => CudaArchitecture.SM_89,
                    _ => CudaArchitecture.SM_90,
                };
                string ptx = PtxCompiler.Compile(kernel, target, CudaInstructionSet.ISA_78);
                report = Ptxas.Assemble(ptx, architecture);
                Reports[key] = report;
            }

            return report;
        }
    }
}
