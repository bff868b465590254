using System.CommandLine;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// The options that open a device, shared by every command that runs one: <c>--device</c>, and the kernel policy
/// (<c>--cpu-kernels</c>, <c>--gpu-kernels</c>, <c>--gemm</c>), fixed when the device opens.
/// </summary>
internal sealed class DeviceOptions
{
    private readonly Option<string> device = CommonOptions.Device();
    private readonly Option<string> cpuKernels = CommonOptions.CpuKernels();

    private readonly Option<string> gpuKernels = new("--gpu-kernels")
    {
        Description = "How the ILGPU kernels run LSTM recurrences: auto (persistent on CUDA, fused on other GPUs, per-op on the CPU accelerator), persistent (each layer's whole recurrence and each greedy decode one launch; CUDA), fused (one fused kernel a recurrent step) or per-op (a product and a cell kernel a step).",
        DefaultValueFactory = _ => "auto",
        HelpName = "auto|persistent|fused|per-op",
    };

    private readonly Option<string> gemm = new("--gemm")
    {
        Description = "What computes the ILGPU backend's matrix products: own (the engine's kernels, the default) or cublas (NVIDIA's cuBLAS on a CUDA GPU where it can be loaded; otherwise the own kernels, and the device line says why).",
        DefaultValueFactory = _ => "own",
        HelpName = "own|cublas",
    };

    /// <summary>Creates the options.</summary>
    public DeviceOptions()
    {
        gpuKernels.AcceptOnlyFromAmong("auto", "persistent", "fused", "per-op");
        gemm.AcceptOnlyFromAmong("own", "cublas");
    }

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All => [device, cpuKernels, gpuKernels, gemm];

    /// <summary>The kernel policy the options ask for (unset choices left to the device).</summary>
    public static KernelPolicy Policy(string? cpuKernels, string? gpuKernels, string? gemm)
    {
        var policy = new KernelPolicy
        {
            CpuKernels = cpuKernels == "ilgpu" ? CpuKernels.Ilgpu : CpuKernels.Simd,
            Gemm = gemm == "cublas" ? GpuGemm.CuBlas : GpuGemm.Own,
        };
        return gpuKernels switch
        {
            "persistent" => policy with { Recurrence = RecurrentKernels.Persistent, PersistentDecode = true },
            "fused" => policy with { Recurrence = RecurrentKernels.Fused, PersistentDecode = false },
            "per-op" => policy with { Recurrence = RecurrentKernels.PerOperation, PersistentDecode = false },
            _ => policy,
        };
    }

    /// <summary>Opens the device the options name and, unless <paramref name="quiet"/>, says which one, why, and what runs on it.</summary>
    public ComputeDevice Open(ParseResult parse, CliContext context, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(context);
        var policy = Policy(parse.GetValue(cpuKernels), parse.GetValue(gpuKernels), parse.GetValue(gemm));
        var (kind, index) = CommonOptions.ParseDeviceKind(parse.GetValue(device));
        var options = new DeviceOpenOptions { Policy = policy, Index = index, Logger = CommonOptions.Logger(parse, context) };
        ComputeDevice opened = ComputeDevice.Open(kind, options);
        if (!quiet)
        {
            context.Out.WriteLine($"device: {Format.Device(opened.Info)}: {opened.Selection}; kernels: {opened.Ops.Backend}");
        }

        return opened;
    }
}
