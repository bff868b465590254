using System.CommandLine;
using System.Text.Json;
using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq bench</c>: a quick end-to-end measurement of a named configuration on synthetic data (warm-up, then
/// N timed repetitions, medians; <c>--warmup</c> sets the warm-up count, default 2): training step, forward pass, greedy decode step at batch 1 and 64, peak memory.
/// </summary>
internal sealed class BenchCommand
{
    private readonly CliContext context;
    private readonly Option<string> config = new("--config") { Description = "Configuration: keras-char, word-medium, deepbench-lstm, or all.", DefaultValueFactory = _ => "keras-char", HelpName = "NAME" };
    private readonly Option<int> steps = new("--steps") { Description = "Timed repetitions of each measurement (after 2 warm-up ones); medians are reported.", DefaultValueFactory = _ => 10, HelpName = "N" };
    private readonly Option<int> warmup = new("--warmup") { Description = "Untimed repetitions before the timed ones.", DefaultValueFactory = _ => 2, HelpName = "N" };
    private readonly Option<string> device = CommonOptions.Device();
    private readonly Option<string> cpuKernels = CommonOptions.CpuKernels();
    private readonly Option<string> gpuKernels = new("--gpu-kernels")
    {
        Description = "On a GPU: persistent (the default: one fused kernel per recurrent step, each layer's whole recurrence and each greedy decode one persistent launch), fused (one fused kernel launch per recurrent step and a few launches per decode step) or per-op (a product and a cell kernel per step), to measure them against each other.",
        DefaultValueFactory = _ => "persistent",
        HelpName = "persistent|fused|per-op",
    };

    private readonly Option<string> gemm = new("--gemm")
    {
        Description = "On a CUDA GPU: own (the engine's ILGPU matrix-product kernels, the default) or cublas (NVIDIA's cuBLAS where it can be loaded; otherwise the own kernels, and the result's kernels field says why).",
        DefaultValueFactory = _ => "own",
        HelpName = "own|cublas",
    };

    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object per configuration, one a line." };

    /// <summary>Creates the command.</summary>
    public BenchCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(steps, 1);
        NumericOptions.Range(warmup, 0);
        config.AcceptOnlyFromAmong([.. BenchmarkConfig.All.Select(c => c.Name), "all"]);
        gpuKernels.AcceptOnlyFromAmong("persistent", "fused", "per-op");
        gemm.AcceptOnlyFromAmong("own", "cublas");
        Command = new Command("bench", "Measure training and decoding speed of a named configuration on synthetic data.") { config, steps, warmup, device, cpuKernels, gpuKernels, gemm, json };
        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    private int Run(ParseResult parse)
    {
        bool asJson = parse.GetValue(json);
        string name = parse.GetValue(config) ?? "keras-char";
        var configs = name == "all" ? BenchmarkConfig.All : [BenchmarkConfig.Named(name)];
        string path = parse.GetValue(gpuKernels) ?? "persistent";
        var products = parse.GetValue(gemm) == "cublas" ? GpuGemm.CuBlas : GpuGemm.Own;
        using ComputeDevice dev = CommonOptions.OpenDevice(parse.GetValue(device), parse.GetValue(cpuKernels), context, quiet: asJson, configure: d =>
        {
            // On the CPU accelerator the defaults stay (barrier kernels are ruinous there) unless a slower path is asked for.
            if (path != "persistent" || !d.IsCpu)
            {
                d.Ops.FusedRecurrentSteps = path != "per-op";
                d.Ops.PersistentSequences = path == "persistent";
                d.Ops.PersistentDecode = path == "persistent";
            }

            d.Ops.UseGemm(products);
        });
        foreach (var c in configs)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var result = BenchmarkRunner.Run(dev, c, parse.GetValue(steps), parse.GetValue(warmup));
            if (asJson)
            {
                context.Out.WriteLine(JsonSerializer.Serialize(result));
            }
            else
            {
                string decode = result.DecodeStepUsBatch1 is { } b1
                    ? $"  greedy decode {b1:N0} µs/step (batch 1), {result.DecodeStepUsBatch64:N0} µs/step (batch {c.Batch}); beam 5 {result.Beam5StepUsBatch1:N0} / {result.Beam5StepUsBatch64:N0} µs/step"
                    : string.Empty;
                context.Out.WriteLine(
                    $"{c.Name}: train step {result.TrainStepMs:N1} ms ({result.TrainTokensPerSecond:N0} tok/s), forward {result.ForwardMs:N1} ms{decode}, peak memory {Output.Format.Bytes(result.PeakMemoryBytes)} [{result.Kernels}]");
            }
        }

        return ExitCodes.Success;
    }
}
