using ILGPU.Runtime.Cuda;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The optional cuBLAS path: the mapping of every <see cref="MatMulShape"/> flag to a column-major <c>Sgemm</c> call
/// (by hand-worked cases and by running the call through a plain column-major GEMM written from the BLAS definition),
/// the clean fallback where cuBLAS cannot be had, how the library is found, and, on CUDA with cuBLAS, the products.
/// </summary>
public sealed class MatMulCuBlasTests
{
    private const CuBlasOperation N = CuBlasOperation.NonTranspose;
    private const CuBlasOperation T = CuBlasOperation.Transpose;

    private static IEnumerable<TestCaseData> MappingCases()
    {
        // C[2,3] = A[2,4]·B[4,3], row-major, is Cᵀ (3x2, ldc 3) = Bᵀ·Aᵀ column-major: B's buffer read as 3x4 (ld 3),
        // A's buffer as 4x2 (ld 4).
        yield return new TestCaseData(new MatMulShape(2, 3, 4), new CuBlasGemmCall(N, N, 3, 2, 4, 3, 4, 3, 0f)).SetName("plain");

        // A stored [K, M] = [4, 2]: column-major 2x4 (ld 2) is op(A); cuBLAS transposes it to op(A)ᵀ.
        yield return new TestCaseData(new MatMulShape(2, 3, 4, transposeA: true), new CuBlasGemmCall(N, T, 3, 2, 4, 3, 2, 3, 0f)).SetName("A transposed");

        // B stored [N, K] = [3, 4]: column-major 4x3 (ld 4) is op(B); cuBLAS transposes it to op(B)ᵀ.
        yield return new TestCaseData(new MatMulShape(2, 3, 4, transposeB: true), new CuBlasGemmCall(T, N, 3, 2, 4, 4, 4, 3, 0f)).SetName("B transposed");

        // Both, accumulating: beta 1. The bias is not part of the call.
        yield return new TestCaseData(new MatMulShape(2, 3, 4, true, true, accumulate: true, hasBias: true), new CuBlasGemmCall(T, T, 3, 2, 4, 4, 2, 3, 1f))
            .SetName("both transposed, accumulate, bias");

        // A row: M = 1, the GEMV-like case; m and n swap, ldb = K.
        yield return new TestCaseData(new MatMulShape(1, 5, 7), new CuBlasGemmCall(N, N, 5, 1, 7, 5, 7, 5, 0f)).SetName("one row");

        // K = 0: leading dimensions stay at least 1 as BLAS requires (C = beta·C).
        yield return new TestCaseData(new MatMulShape(3, 2, 0, transposeB: true), new CuBlasGemmCall(T, N, 2, 3, 0, 1, 1, 2, 0f)).SetName("K zero");
    }

    // Both travel as object: MatMulShape and CuBlasGemmCall are internal, and a public test's parameters must not be.
    [TestCaseSource(nameof(MappingCases))]
    public void Shape_maps_to_the_column_major_call(object shape, object expected) =>
        Assert.That(CuBlasGemm.Map((MatMulShape)shape), Is.EqualTo(expected));

    [Test]
    public void The_mapped_call_computes_the_product_for_every_flag([Values(1, 5)] int m, [Values(1, 7)] int n, [Values(1, 4)] int k)
    {
        foreach (var shape in MatMulCheck.AllFlags(m, n, k))
        {
            var a = Tensors.Random(m * k, 20).ToDouble();
            var b = Tensors.Random(k * n, 21).ToDouble();
            var bias = Tensors.Random(n, 22).ToDouble();
            var c = Tensors.Random(m * n, 23).ToDouble();
            var expected = (double[])c.Clone();
            ReferenceOps.MatMul(a, b, shape.HasBias != 0 ? bias : null, expected, m, n, k, shape.TransposeA != 0, shape.TransposeB != 0, shape.Accumulate != 0);

            // What DeviceOps does: the call with the operands swapped, then the bias rows.
            var call = CuBlasGemm.Map(shape);
            ColumnMajorGemm(call, b, a, c);
            if (shape.HasBias != 0)
            {
                for (int e = 0; e < c.Length; e++)
                {
                    c[e] += bias[e % n];
                }
            }

            Tensors.AssertClose(c, expected, $"mapped {shape}", 1e-6, 1e-6);
        }
    }

    [Test]
    public void Asking_for_cuBLAS_on_the_CPU_accelerator_falls_back_with_a_reason()
    {
        Assert.That(TestDevices.CpuIlgpu().Ops.GemmBackend, Is.EqualTo("own kernels"));
        using var device = ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, new KernelPolicy { CpuKernels = CpuKernels.Ilgpu, Gemm = GpuGemm.CuBlas });
        Assert.That(device.Ops.GemmBackend, Does.StartWith("own kernels (cuBLAS unavailable: ").And.Contain("not a CUDA device"));

        // The products still run, on the engine's own kernels.
        using var a = device.Upload<float>([1f, 2f, 3f, 4f], "A");
        using var b = device.Upload<float>([5f, 6f, 7f, 8f], "B");
        using var c = device.Allocate<float>(4, "C");
        device.Ops.MatMul(a.View, b.View, null, c.View, new MatMulShape(2, 2, 2));
        Assert.That(c.ToArray(), Is.EqualTo(new[] { 19f, 22f, 43f, 50f }));

        // On the host kernels too the request is answered, not silently dropped.
        using var simd = ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, new KernelPolicy { Gemm = GpuGemm.CuBlas });
        Assert.That(simd.Ops.GemmBackend, Does.StartWith("host ").And.EndWith("(cuBLAS unavailable: not a CUDA device)"));
    }

    [TestCase(1, 1)]
    [TestCase(7, 5)]
    [TestCase(33, 70)]
    public void Bias_step_adds_the_bias_to_every_row(int rows, int cols)
    {
        var device = TestDevices.CpuIlgpu();
        var initial = Tensors.Random(rows * cols, 30);
        var bias = Tensors.Random(cols, 31);
        using var c = device.Upload<float>(initial, "C");
        using var b = device.Upload<float>(bias, "bias");

        device.Ops.Ilgpu.AddBiasRows(c.View, b.View, rows, cols);

        // One float addition per element: exact.
        var expected = new double[initial.Length];
        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = initial[e] + bias[e % cols];
        }

        Tensors.AssertClose(c.ToArray(), expected, "bias rows", 0, 0);
    }

    [Test]
    public void Library_is_found_in_a_pip_wheel_layout()
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"cublas-layout-{Guid.NewGuid():N}");
        try
        {
            string folder = Directory.CreateDirectory(Path.Combine(prefix, "lib", "python3.11", "site-packages", "nvidia", "cublas", "lib")).FullName;
            string file = Path.Combine(folder, "libcublas.so.12");
            File.WriteAllBytes(file, []);

            Assert.That(CudaLibraryResolver.FindCuBlas("libcublas.so.12", [Path.Combine(prefix, "missing"), prefix]), Is.EqualTo(file));
            Assert.That(CudaLibraryResolver.FindCuBlas("libcublas.so.11", [prefix]), Is.Null);
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }

    [Test]
    [Category("Gpu")]
    public void On_CUDA_cuBLAS_gives_the_products()
    {
        TestDevices.For(TestTarget.Cuda);
        using var device = ComputeDevice.Open(DeviceKind.Cuda, CpuSimulation.Default, new KernelPolicy { Gemm = GpuGemm.CuBlas });
        if (!device.Ops.GemmBackend.StartsWith("cublas", StringComparison.Ordinal))
        {
            Assert.Ignore(device.Ops.GemmBackend);
        }

        TestContext.Out.WriteLine($"gemm: {device.Ops.GemmBackend}");
        var owned = new List<IDisposable>();
        try
        {
            foreach (var s in new[] { new[] { 1, 1, 1 }, [5, 19, 37], [70, 67, 0], [130, 65, 33] })
            {
                foreach (var shape in MatMulCheck.AllFlags(s[0], s[1], s[2]))
                {
                    MatMulCheck.AgainstReference(
                        data =>
                        {
                            var buffer = device.Upload<float>(data, "test data");
                            owned.Add(buffer);
                            return buffer;
                        },
                        shape,
                        device.Ops.GemmBackend,
                        (a, b, bias, c) => device.Ops.MatMul(a.View, b.View, bias?.View, c.View, shape));
                }
            }
        }
        finally
        {
            owned.ForEach(buffer => buffer.Dispose());
        }
    }

    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c>, alpha 1, column-major, as the BLAS reference defines Sgemm: element (i, j)
    /// of an m×n matrix with leading dimension ld is at i + j·ld; beta 0 means C is not read.
    /// </summary>
    private static void ColumnMajorGemm(CuBlasGemmCall call, double[] a, double[] b, double[] c)
    {
        for (int j = 0; j < call.N; j++)
        {
            for (int i = 0; i < call.M; i++)
            {
                double sum = 0;
                for (int l = 0; l < call.K; l++)
                {
                    double opA = call.TransA == N ? a[i + (l * call.Lda)] : a[l + (i * call.Lda)];
                    double opB = call.TransB == N ? b[l + (j * call.Ldb)] : b[j + (l * call.Ldb)];
                    sum += opA * opB;
                }

                int index = i + (j * call.Ldc);
                c[index] = call.Beta == 0f ? sum : sum + (call.Beta * c[index]);
            }
        }
    }
}
