using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>The matrix products of <see cref="IlgpuBackend"/>: the choice of kernel (or cuBLAS), the prepared operands, and the bfloat16 copies.</summary>
internal sealed partial class IlgpuBackend
{
    /// <summary>
    /// Side of the square thread groups of the tiled matrix product: the largest power of two up to 16 whose square
    /// fits the device's group size (16 on GPUs and the NVIDIA-shaped CPU accelerator, 4 on the default one).
    /// </summary>
    public int TileSize
    {
        get
        {
            int tile = 16;
            while (tile > 1 && tile * tile > device.Info.MaxThreadsPerGroup)
            {
                tile /= 2;
            }

            return tile;
        }
    }

    /// <summary>Thread group of the register-blocked product on this device (see <see cref="RegisterBlockedGroupFor"/>).</summary>
    public Index2D RegisterBlockedGroup => RegisterBlockedGroupFor(device.Info.MaxThreadsPerGroup);

    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (cuBlas is not null)
        {
            // cuBLAS has no bias: the product (beta 1 when accumulating), then the bias rows, in stream order.
            cuBlas.Run(a, b, c, shape);
            if (bias is { } lb)
            {
                AddBiasRows(c, lb, shape.M, shape.N);
            }

            return;
        }

        MatMul(a, b, bias, c, shape, ChooseKernel(shape, device.Info));
    }

    /// <summary>The product with a given kernel (tests and benchmarks compare them; cuBLAS is not used).</summary>
    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm) =>
        MatMul(kernels.Fp32, a, new Fp32Elements(b), bias, c, shape, algorithm);

    /// <summary>The product with a bfloat16 right operand (laid out as op(B) says) and a given kernel; tests compare them.</summary>
    public void MatMul(ArrayView<float> a, ArrayView<ushort> bBFloat16, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm) =>
        MatMul(kernels.BFloat16, a, new BFloat16Elements(bBFloat16), bias, c, shape, algorithm);

    /// <summary>Launches the register-blocked product with a given thread group (each side at most 16; tests try several).</summary>
    public void MatMulRegisterBlocked(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, MatMulShape shape, Index2D group) =>
        kernels.Fp32.MatMulRegisterBlocked.Value(new KernelConfig(RegisterBlockedGrid(shape, group), group), a, new Fp32Elements(b), bias, c, shape);

    /// <summary>
    /// FP32 as the view; bfloat16 as a copy on the device, converted there (<see cref="BFloat16Kernels.FromSingle"/>),
    /// laid out as B, owned by the operand.
    /// </summary>
    public PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Fp32)
        {
            return new(b, k, n, transposed, null);
        }

        var copy = device.Allocate<ushort>(Math.Max(b.Length, 1), "bfloat16 weight copy");
        try
        {
            var view = copy.View.SubView(0, b.Length);
            ConvertToBFloat16(b, view);
            return new(b, k, n, transposed, view, copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>FP32: one by one (views). bfloat16: every copy in one device buffer, one after the other, for the persistent decoder.</summary>
    public PreparedRightGroup PrepareRightGroup(IReadOnlyList<RightOperandSource> sources, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Fp32)
        {
            return PreparedRightGroup.OneByOne(this, sources, precision);
        }

        var offsets = new long[sources.Count];
        long total = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            offsets[i] = total;
            total += sources[i].View.Length;
        }

        var copies = device.Allocate<ushort>(Math.Max(total, 1), "bfloat16 decoder weights");
        try
        {
            var operands = new PreparedRightOperand[sources.Count];
            for (int i = 0; i < sources.Count; i++)
            {
                var source = sources[i];
                var view = copies.View.SubView(offsets[i], source.View.Length);
                ConvertToBFloat16(source.View, view);
                operands[i] = new PreparedRightOperand(source.View, source.K, source.N, source.Transposed, view, owner: null);
            }

            return new PreparedRightGroup(operands, copies.View.SubView(0, total), offsets, copies);
        }
        catch
        {
            copies.Dispose();
            throw;
        }
    }

    public void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (b.DeviceBFloat16.Length > 0)
        {
            // cuBLAS has no product of an FP32 A with a bfloat16 B: the engine's own kernels read the copy.
            MatMul(a, b.DeviceBFloat16, bias, c, shape, MatMulAlgorithm.Auto);
            return;
        }

        MatMul(a, b.View, bias, c, shape);
    }

    /// <summary>source [n] to bfloat16 in destination [n], on the device (the bits of the host conversion).</summary>
    public void ConvertToBFloat16(ArrayView<float> source, ArrayView<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"bfloat16 destination of {destination.Length} values is shorter than the {source.Length} values to convert", nameof(destination));
        }

        int count = checked((int)source.Length);
        int chunk = ChunkFor(count);
        kernels.BFloat16FromSingle.Value(LaunchChunk.Threads(count, chunk), source, destination, count, chunk);
    }

    private void MatMul<TB>(WeightKernels<TB> set, ArrayView<float> a, TB b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm)
        where TB : struct, IMatrixElements
    {
        var biasView = bias ?? noFloats.View;
        switch (algorithm == MatMulAlgorithm.Auto ? ChooseKernel(shape, device.Info) : algorithm)
        {
            case MatMulAlgorithm.Tiled:
                int tile = TileSize;
                var grid = new Index2D((shape.N + tile - 1) / tile, (shape.M + tile - 1) / tile);
                set.MatMulTiled.Value(new KernelConfig(grid, new Index2D(tile, tile)), a, b, biasView, c, shape);
                break;
            case MatMulAlgorithm.RegisterBlocked:
                var group = RegisterBlockedGroup;
                set.MatMulRegisterBlocked.Value(new KernelConfig(RegisterBlockedGrid(shape, group), group), a, b, biasView, c, shape);
                break;
            default:
                int count = shape.M * shape.N;
                int chunk = ChunkFor(count);
                set.MatMulRows.Value(LaunchChunk.Threads(count, chunk), a, b, biasView, c, shape, chunk);
                break;
        }
    }

    public void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate)
    {
        int chunk = ChunkFor(cols);
        kernels.ColumnSum.Value(LaunchChunk.Threads(cols, chunk), input, output, rows, cols, accumulate ? 1 : 0, chunk);
    }

    /// <summary>
    /// The own kernel for a product on the ILGPU kernels: barrier-free rows on the CPU accelerator; on GPUs the
    /// register-blocked kernel once its tiles (64×64 with 16×16 threads) give at least one group to every
    /// multiprocessor, else the tiled kernel, whose 16×16 tiles make 16 times as many groups. Below that count a
    /// register-blocked grid leaves multiprocessors idle (the recurrent product of batch 64, H 256 is 64×1024: 16 tiles
    /// on an H100's 132 SMs), and more groups beat more work per thread; above it, each thread's 16 products per 8
    /// shared-memory reads (against 1 per 2 in the tiled kernel) win. The rule uses the device's own counts.
    /// </summary>
    internal static MatMulAlgorithm ChooseKernel(MatMulShape shape, DeviceInfo info)
    {
        if (info.Kind == DeviceKind.Cpu)
        {
            return MatMulAlgorithm.Rows;
        }

        var grid = RegisterBlockedGrid(shape, RegisterBlockedGroupFor(info.MaxThreadsPerGroup));
        long tiles = (long)grid.X * grid.Y;
        bool fits = MatMulKernels.RegisterBlockedSharedBytes <= info.MaxSharedMemoryPerGroup;
        return fits && tiles >= Math.Max(1, info.Multiprocessors) ? MatMulAlgorithm.RegisterBlocked : MatMulAlgorithm.Tiled;
    }

    /// <summary>
    /// Thread group of the register-blocked matrix product (X columns, Y rows of threads, each thread a 4×4 block of
    /// C): from 16×16, the larger side halved until the group fits <paramref name="maxThreadsPerGroup"/> (16×16 on GPUs
    /// and the NVIDIA-shaped CPU accelerator, giving 64×64 tiles; 4×4 on the default CPU accelerator).
    /// </summary>
    internal static Index2D RegisterBlockedGroupFor(int maxThreadsPerGroup)
    {
        int x = MatMulKernels.MaxBlockedGroupSide;
        int y = MatMulKernels.MaxBlockedGroupSide;
        while (x * y > maxThreadsPerGroup && x * y > 1)
        {
            if (y >= x)
            {
                y /= 2;
            }
            else
            {
                x /= 2;
            }
        }

        return new Index2D(x, y);
    }

    /// <summary>Groups of the register-blocked product: one a (Y·4)×(X·4) tile of C.</summary>
    private static Index2D RegisterBlockedGrid(MatMulShape shape, Index2D group)
    {
        int tileN = group.X * MatMulKernels.RegisterBlock;
        int tileM = group.Y * MatMulKernels.RegisterBlock;
        return new Index2D((shape.N + tileN - 1) / tileN, (shape.M + tileM - 1) / tileM);
    }

    /// <summary><c>c[m, n] += bias[n]</c> over c [rows, cols] (the bias step after cuBLAS).</summary>
    internal void AddBiasRows(ArrayView<float> c, ArrayView<float> bias, int rows, int cols)
    {
        int count = rows * cols;
        int chunk = ChunkFor(count);
        kernels.AddBias.Value(LaunchChunk.Threads(count, chunk), c, bias, rows, cols, chunk);
    }
}
