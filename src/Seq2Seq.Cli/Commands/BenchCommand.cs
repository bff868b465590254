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
    private readonly DeviceOptions device = new();
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object per configuration, one a line." };

    /// <summary>Creates the command.</summary>
    public BenchCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(steps, 1);
        NumericOptions.Range(warmup, 0);
        config.AcceptOnlyFromAmong([.. BenchmarkConfig.All.Select(c => c.Name), "all"]);
        Command = new Command("bench", "Measure training and decoding speed of a named configuration on synthetic data.") { config, steps, warmup, json };
        foreach (var option in device.All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    private int Run(ParseResult parse)
    {
        bool asJson = parse.GetValue(json);
        string name = parse.GetValue(config) ?? "keras-char";
        var configs = name == "all" ? BenchmarkConfig.All : [BenchmarkConfig.Named(name)];
        using ComputeDevice dev = device.Open(parse, context, quiet: asJson);
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
