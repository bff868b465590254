using System.CommandLine;
using System.Text.Json;
using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq bench</c>: a quick end-to-end measurement of a named configuration on synthetic data (warm-up, then
/// N timed repetitions, medians; <c>--warmup</c> sets the warm-up count, default 2; the first configuration is run once
/// untimed before anything is measured, to get the JIT's tiering behind it): training step, forward pass, greedy decode step at batch 1 and 64, peak memory.
/// </summary>
internal sealed class BenchCommand
{
    private readonly CliContext context;
    private readonly Option<string> config = new("--config") { Description = "Configuration: keras-char, word-medium, deepbench-lstm, or all.", DefaultValueFactory = _ => "keras-char", HelpName = "NAME" };
    private readonly Option<int> steps = new("--steps") { Description = "Timed repetitions of each measurement (after 2 warm-up ones); medians are reported.", DefaultValueFactory = _ => 10, HelpName = "N" };
    private readonly Option<int> warmup = new("--warmup") { Description = "Untimed repetitions before the timed ones.", DefaultValueFactory = _ => 2, HelpName = "N" };
    private readonly Option<string> attention = new("--attention")
    {
        Description = "The decoder's attention: none (the default), dot or general, or a comma-separated list to measure each in turn in the same run (e.g. none,dot,general). Not with deepbench-lstm, which has no decoder.",
        DefaultValueFactory = _ => "none",
        HelpName = "KIND[,KIND...]",
    };

    private readonly Option<string> precision = new("--precision")
    {
        Description = "The precision the decode steps read the decoder's weight matrices in: fp32 (the default) or bf16, or a comma-separated list to measure each in turn in the same run (e.g. fp32,bf16). Training steps are FP32 either way.",
        DefaultValueFactory = _ => "fp32",
        HelpName = "P[,P...]",
    };

    private readonly DeviceOptions device = new();
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object per configuration, one a line." };
    private readonly Option<bool> peak = new("--peak") { Description = "Measure this machine's FMA peak and L2 / L3 / DRAM read bandwidth just before and just after each configuration, and report the run against the best of the two." };
    private readonly Option<int> peakMs = new("--peak-ms") { Description = "Length of one peak-measurement run (each figure is the best of 5).", DefaultValueFactory = _ => 100, HelpName = "MS" };

    /// <summary>Creates the command.</summary>
    public BenchCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(steps, 1);
        NumericOptions.Range(warmup, 0);
        NumericOptions.Range(peakMs, 1);
        config.AcceptOnlyFromAmong([.. BenchmarkConfig.All.Select(c => c.Name), "all"]);
        Command = new Command("bench", "Measure training and decoding speed of a named configuration on synthetic data.") { config, attention, precision, steps, warmup, json, peak, peakMs };
        foreach (var option in device.All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    /// <summary>
    /// The items of a comma-separated <paramref name="option"/> value, each read by <paramref name="parse"/> (null for
    /// a bad one), or a usage error naming the first bad one.
    /// </summary>
    private static List<T> ParseList<T>(string list, Func<string, T?> parse, string option, string expected)
        where T : struct
    {
        var items = new List<T>();
        foreach (string item in list.Split(',', StringSplitOptions.TrimEntries))
        {
            items.Add(parse(item) ?? throw CliException.Usage($"{option} '{item}': expected {expected} (or a comma-separated list of them)"));
        }

        return items;
    }

    private int Run(ParseResult parse)
    {
        bool asJson = parse.GetValue(json);
        string name = parse.GetValue(config) ?? "keras-char";
        var kinds = ParseList(parse.GetValue(attention) ?? "none", item => AttentionKinds.TryParse(item, out var kind) ? kind : (AttentionKind?)null, "--attention", "none, dot or general");
        var precisions = ParseList(parse.GetValue(precision) ?? "fp32", item => WeightPrecisions.TryParse(item, out var weightPrecision) ? weightPrecision : (WeightPrecision?)null, "--precision", WeightPrecisions.Expected);
        var configs = (name == "all" ? BenchmarkConfig.All : [BenchmarkConfig.Named(name)])
            .SelectMany(c => c.LstmOnly ? [c] : kinds.Select(k => k == AttentionKind.None ? c : c with { Name = $"{c.Name}+{k.Name()}-attention", Attention = k }))
            .SelectMany(c => c.LstmOnly ? [c] : precisions.Select(p => p == WeightPrecision.Fp32 ? c : c with { Name = $"{c.Name}+{p.Name()}", Precision = p }))
            .ToList();
        using ComputeDevice dev = device.Open(parse, context, quiet: asJson);
        // The first configuration once, untimed: .NET's tiered JIT runs the first model's steps partly as tier-0 and
        // instrumented code (with DOTNET_TieredCompilation=0 the first model was no slower than the later ones), which
        // made whichever variant came first 10-170 % slower than the same variant measured again in the process.
        // --warmup 0 asks for no warm-up, and gets none.
        if (parse.GetValue(warmup) > 0)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            BenchmarkRunner.Run(dev, configs[0], parse.GetValue(steps), parse.GetValue(warmup));
        }

        // With --peak, the limits are measured just before each configuration and again just after it, and it is
        // reported against the best of the two: on a shared machine a limit only comes out low, and a single
        // measurement seconds before the run once gave a training step at 103 % of a peak the host had halved.
        var peakRun = TimeSpan.FromMilliseconds(parse.GetValue(peakMs));
        MachinePeaks? before = parse.GetValue(peak) ? PeakMeasurement.Measure(peakRun) : null;
        foreach (var c in configs)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var result = BenchmarkRunner.Run(dev, c, parse.GetValue(steps), parse.GetValue(warmup));
            if (before is not null)
            {
                var after = PeakMeasurement.Measure(peakRun, caches: before.Caches);
                var peaks = before.BestOf(after);
                result = PeakComparison.Apply(result, c, peaks);
                before = after;
                if (!asJson)
                {
                    context.Out.WriteLine(MachineLine(peaks));
                }
            }

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
                context.Out.WriteLine(Against(result));
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>The machine's limits a configuration is reported against (with <c>--peak</c>, printed before its lines).</summary>
    private static string MachineLine(MachinePeaks peaks) =>
        $"machine: {peaks.InstructionSet}, {peaks.Threads} threads: FMA peak {peaks.PeakGflops:N1} GFLOP/s ({peaks.PeakGflopsOneThread:N1} on one thread); "
        + $"read bandwidth L2 {peaks.BandwidthL2:N1}, L3 {peaks.BandwidthL3:N1}, DRAM {peaks.BandwidthDram:N1} GB/s "
        + $"(L2 {Output.Format.Bytes(peaks.Caches.L2Bytes)}, L3 {Output.Format.Bytes(peaks.Caches.L3Bytes)}: {peaks.Caches.Source}; the best of a measurement before and after the run)";

    /// <summary>The second line of a configuration: its counted work, and with <c>--peak</c> that work against the machine's limits.</summary>
    private static string Against(BenchmarkResult result)
    {
        string train = $"  training step {result.TrainGflop:N2} GFLOP of products: {result.TrainGflops:N1} GFLOP/s"
            + (result.TrainFractionOfPeak is { } f ? $" ({f:P0} of the FMA peak{(f > 1 ? ", above it: the host took cores from both peak measurements, so this peak is no bound; rerun on a quieter machine" : string.Empty)})" : string.Empty)
            + (result.ProductGflops is { } p ? $"; its largest product alone ({result.ProductShape}) {p:N1} GFLOP/s" + (result.ProductFractionOfPeak is { } pf ? $" ({pf:P0})" : string.Empty) : string.Empty);
        string decode = result.DecodeBytesPerStep is not { } bytes ? string.Empty
            : $"; greedy decode reads {Output.Format.Bytes(bytes)} a step at batch 1"
                + (result.DecodeFloorUsBatch1 is { } floor ? $" (fits {result.DecodeLevel}: floor {floor:N1} µs, measured {result.DecodeBatch1OverFloor:N1}x the floor)" : string.Empty);
        return train + decode;
    }
}
