using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The register-blocked product (<see cref="MatMulKernels.MatMulRegisterBlocked"/>) against the reference, for every
/// flag combination on awkward shapes, in both CPU accelerator shapes (4×4 groups, so 16×16 tiles; 16×16 groups, so
/// 64×64 tiles) and on CUDA where present, plus group shapes other than the one the engine picks. Kept small: every
/// barrier costs about 100 µs on the CPU accelerator.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.IlgpuWarpShapes))]
public sealed class MatMulRegisterBlockedTests(TestTarget target) : DeviceTestBase(target)
{
    // Unit sizes, K = 0, K < the slice depth of 16, M = 1, sizes that are no multiple of 4, 16 or 64, several tiles in
    // each direction for both group shapes (70 rows: two 64-row tiles, five 16-row tiles).
    private static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [1, 37, 19],
        [3, 5, 0],
        [17, 3, 5],
        [5, 66, 1],
        [70, 67, 37],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        Shapes.SelectMany(s => MatMulCheck.AllFlags(s[0], s[1], s[2])).Select(shape => new TestCaseData(shape).SetArgDisplayNames(shape.ToString()));

    private static IEnumerable<TestCaseData> Groups() =>
        new[] { (1, 1), (16, 1), (1, 16), (8, 2), (2, 8), (3, 5), (16, 8), (8, 16) }.Select(g => new TestCaseData(g.Item1, g.Item2));

    // The shape travels as object: MatMulShape is internal, and a public test's parameters must not be.
    [TestCaseSource(nameof(Cases))]
    public void Product_matches_reference(object boxedShape)
    {
        var shape = (MatMulShape)boxedShape;
        MatMulCheck.AgainstReference(
            Upload, shape, $"register-blocked {Ops.Ilgpu.RegisterBlockedGroup}", (a, b, bias, c) => Ops.MatMul(a.View, b.View, bias?.View, c.View, shape, MatMulAlgorithm.RegisterBlocked));
    }

    [TestCaseSource(nameof(Groups))]
    public void Any_group_shape_gives_the_product(int x, int y)
    {
        if (x * y > Device.Info.MaxThreadsPerGroup)
        {
            Assert.Ignore($"a {x}x{y} group exceeds this device's {Device.Info.MaxThreadsPerGroup} threads");
        }

        foreach (var shape in new[] { new MatMulShape(37, 29, 21, transposeB: true, hasBias: true), new MatMulShape(9, 70, 18, transposeA: true, accumulate: true) })
        {
            MatMulCheck.AgainstReference(
                Upload, shape, $"register-blocked {x}x{y}", (a, b, bias, c) => Ops.Ilgpu.MatMulRegisterBlocked(a.View, b.View, bias?.View ?? c.View, c.View, shape, new Index2D(x, y)));
        }
    }

    [Test]
    public void Group_shape_comes_from_the_device()
    {
        var group = Ops.Ilgpu.RegisterBlockedGroup;
        Assert.That(group, Is.EqualTo(IlgpuBackend.RegisterBlockedGroupFor(Device.Info.MaxThreadsPerGroup)));
        Assert.That(group.X * group.Y, Is.LessThanOrEqualTo(Device.Info.MaxThreadsPerGroup));
        if (Target != TestTarget.Cuda)
        {
            Assert.That(group, Is.EqualTo(Target == TestTarget.CpuDefault ? new Index2D(4, 4) : new Index2D(16, 16)));
        }
    }
}

/// <summary>How the engine picks a matrix-product kernel and its group shape from device properties alone.</summary>
public sealed class MatMulKernelChoiceTests
{
    private static DeviceInfo Gpu(int multiprocessors = 132, int maxThreads = 1024, int sharedBytes = 48 * 1024) =>
        new("test GPU", DeviceKind.Cuda, 80L << 30, 32, multiprocessors, maxThreads, sharedBytes);

    [TestCase(1024, 16, 16)]
    [TestCase(256, 16, 16)]
    [TestCase(128, 16, 8)]
    [TestCase(64, 8, 8)]
    [TestCase(16, 4, 4)]
    [TestCase(1, 1, 1)]
    public void Group_is_the_largest_that_fits(int maxThreads, int x, int y) =>
        Assert.That(IlgpuBackend.RegisterBlockedGroupFor(maxThreads), Is.EqualTo(new Index2D(x, y)));

    [Test]
    public void Auto_takes_register_blocked_only_where_it_fills_the_multiprocessors()
    {
        // 64x1024 (the recurrent product at batch 64, H 256): 16 tiles of 64x64 for 132 SMs.
        Assert.That(IlgpuBackend.ChooseKernel(new MatMulShape(64, 1024, 256), Gpu()), Is.EqualTo(MatMulAlgorithm.Tiled));

        // 3776x1024 (the input projection of every step): 59 x 16 = 944 tiles.
        Assert.That(IlgpuBackend.ChooseKernel(new MatMulShape(3776, 1024, 256), Gpu()), Is.EqualTo(MatMulAlgorithm.RegisterBlocked));

        // The same 16 tiles fill a 16-SM device; a device without the shared memory never gets the kernel.
        Assert.That(IlgpuBackend.ChooseKernel(new MatMulShape(64, 1024, 256), Gpu(multiprocessors: 16)), Is.EqualTo(MatMulAlgorithm.RegisterBlocked));
        Assert.That(IlgpuBackend.ChooseKernel(new MatMulShape(3776, 1024, 256), Gpu(sharedBytes: 4096)), Is.EqualTo(MatMulAlgorithm.Tiled));

        // The CPU accelerator keeps the barrier-free kernel.
        var cpu = Gpu() with { Kind = DeviceKind.Cpu };
        Assert.That(IlgpuBackend.ChooseKernel(new MatMulShape(3776, 1024, 256), cpu), Is.EqualTo(MatMulAlgorithm.Rows));
    }
}
