using System.Globalization;
using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Cli.Commands;

/// <summary>Option definitions and helpers that several commands share, so that names, defaults and checks agree.</summary>
internal static class CommonOptions
{
    /// <summary>The default batch size (pairs per batch), as the Keras example.</summary>
    public const int DefaultBatchSize = 64;

    /// <summary>The name of the root command's <c>--verbose</c> option (recursive: every command has it).</summary>
    public const string VerboseName = "--verbose";

    /// <summary><c>--verbose</c>: the engine's log (device choice and fallbacks, epochs, checkpoint writes, memory) on standard error.</summary>
    public static Option<bool> Verbose() => new(VerboseName)
    {
        Description = "Write the engine's log to standard error: which device and kernels were chosen and why (and why not CUDA or cuBLAS), epoch summaries, checkpoint writes, the model's device memory.",
        Recursive = true,
    };

    /// <summary>The logger <c>--verbose</c> asks for: standard error, or nothing.</summary>
    public static ILogger Logger(ParseResult parse, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(context);
        return parse.GetValue<bool>(VerboseName) ? new StderrLogger(context.Error) : NullLogger.Instance;
    }

    /// <summary><c>--device auto|cuda|opencl|cpu</c>, default <c>auto</c> (CUDA, then OpenCL, then the CPU accelerator).</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "Compute device: auto (a CUDA GPU, then an OpenCL GPU, then ILGPU's CPU accelerator), cuda, opencl or cpu; cuda:N or opencl:N picks the N-th of that kind (from 0, as 'seq2seq devices' lists them).",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|cuda[:N]|opencl[:N]|cpu",
        };
        option.Validators.Add(result =>
        {
            string? value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (value is not null && ParseDevice(value) is null)
            {
                result.AddError($"--device: unknown device '{value}'; expected auto, cuda, cuda:N, opencl, opencl:N or cpu");
            }
        });
        return option;
    }

    /// <summary><c>--cpu-kernels simd|ilgpu</c>: what runs on ILGPU's CPU accelerator, default <c>simd</c> (host SIMD kernels).</summary>
    public static Option<string> CpuKernels()
    {
        var option = new Option<string>("--cpu-kernels")
        {
            Description = "On the CPU accelerator: simd (host SIMD kernels on its buffers, the default) or ilgpu (the ILGPU kernels, as a GPU runs them; slow).",
            DefaultValueFactory = _ => "simd",
            HelpName = "simd|ilgpu",
        };
        option.AcceptOnlyFromAmong("simd", "ilgpu");
        return option;
    }

    /// <summary><c>--precision fp32|bf16</c>: the precision decoding reads the decoder's matrices in, default <c>fp32</c>.</summary>
    public static Option<string> Precision()
    {
        var option = new Option<string>("--precision")
        {
            Description = "The precision decoding reads the decoder's weight matrices in: fp32 (the default) or bf16 (bfloat16 copies made once on load, in serve once per beam width served, half the bytes, FP32 accumulation; "
                + "on the host SIMD kernels and on the ILGPU kernels of a GPU or --cpu-kernels ilgpu alike).",
            DefaultValueFactory = _ => "fp32",
            HelpName = "fp32|bf16",
        };
        option.AcceptOnlyFromAmong("fp32", "bf16");
        return option;
    }

    /// <summary>The precision a <see cref="Precision"/> option's value names.</summary>
    public static WeightPrecision ParsePrecision(string? value) =>
        WeightPrecisions.TryParse(value ?? "fp32", out var precision)
            ? precision
            : throw CliException.Usage($"--precision '{value}': expected {WeightPrecisions.Expected}");

    /// <summary><c>--data PATH</c>: the corpus (required).</summary>
    /// <param name="description">What the data is used for.</param>
    public static Option<string> Data(string description) => new("--data")
    {
        Description = description,
        Required = true,
        HelpName = "PATH",
    };

    /// <summary><c>--samples N</c>: read at most the first N pairs (after any skipped ones); all when absent.</summary>
    public static Option<int?> Samples()
    {
        var option = new Option<int?>("--samples")
        {
            Description = "Use only the first N pairs of the file (Keras' num_samples). Default: all.",
            HelpName = "N",
        };
        NumericOptions.Range(option, 1);
        return option;
    }

    /// <summary><c>--skip-bad-lines</c>: pass over malformed lines and report their number.</summary>
    public static Option<bool> SkipBadLines() => new("--skip-bad-lines")
    {
        Description = "Skip malformed lines (no tab, an empty side, invalid UTF-8; for train, a sentence over --max-length) and report how many, instead of stopping at the first.",
    };

    /// <summary><c>--no-verify</c>: load a checkpoint without checking its checksums.</summary>
    public static Option<bool> NoVerify() => new("--no-verify")
    {
        Description = "Load the model without checking its checksums (only to rescue a file reported as corrupt; its data may be wrong).",
    };

    /// <summary>
    /// Loads a checkpoint, verifying its checksums unless <paramref name="noVerify"/>, and shows the library's
    /// integrity note (an older file without checksums, or verification skipped) on standard error. For
    /// <paramref name="inference"/> only the weights are allocated, never a training checkpoint's optimizer state;
    /// <paramref name="logger"/> hears what the model holds on the device.
    /// </summary>
    public static LoadedCheckpoint LoadCheckpoint(ComputeDevice device, string path, bool noVerify, CliContext context, bool inference, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(device);
        long before = device.AllocatedBytes;
        LoadedCheckpoint loaded = ModelCheckpoint.Load(device, path, new CheckpointLoadOptions { VerifyIntegrity = !noVerify, OptimizerState = !inference });
        var store = loaded.Model.Weights;
        CliLog.ModelLoaded(logger, path, store.Layout.TotalCount, device.AllocatedBytes - before, store.OptimizerSlotCount);
        if (loaded.IntegrityNote is { } note)
        {
            context.Error.WriteLine($"seq2seq: note: {note}");
        }

        return loaded;
    }

    /// <summary><c>--batch B</c>, default 64.</summary>
    public static Option<int> Batch()
    {
        var option = new Option<int>("--batch")
        {
            Description = "Pairs per batch.",
            DefaultValueFactory = _ => DefaultBatchSize,
            HelpName = "B",
        };
        NumericOptions.Range(option, 1);
        return option;
    }

    /// <summary>Whether <paramref name="option"/> was written on the command line (not just defaulted).</summary>
    public static bool IsGiven(ParseResult parseResult, Option option)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetResult(option) is OptionResult { Implicit: false };
    }

    /// <summary>The attention named by an option already restricted to <see cref="AttentionKinds.Names"/> (none when absent).</summary>
    public static AttentionKind Attention(string? name) => AttentionKinds.TryParse(name, out var kind) ? kind : AttentionKind.None;

    /// <summary>Maps a <c>--device</c> value to a <see cref="DeviceKind"/> and, for <c>cuda:N</c> and <c>opencl:N</c>, an index.</summary>
    public static (DeviceKind Kind, int? Index) ParseDeviceKind(string? value) =>
        ParseDevice(value ?? "auto") ?? throw CliException.Usage($"unknown device '{value}'; expected auto, cuda, cuda:N, opencl, opencl:N or cpu");

    private static (DeviceKind Kind, int? Index)? ParseDevice(string value)
    {
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? value : value[..colon];
        DeviceKind? kind = name switch
        {
            "auto" => DeviceKind.Auto,
            "cuda" => DeviceKind.Cuda,
            "opencl" => DeviceKind.OpenCL,
            "cpu" => DeviceKind.Cpu,
            _ => null,
        };
        if (kind is null || colon < 0)
        {
            return kind is { } k ? (k, null) : null;
        }

        string digits = value[(colon + 1)..];
        bool indexed = kind is DeviceKind.Cuda or DeviceKind.OpenCL;
        return indexed && digits.Length is > 0 and <= 4 && digits.All(char.IsAsciiDigit) ? (kind.Value, int.Parse(digits, CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>Reads the corpus; an empty result is an error naming the file.</summary>
    /// <param name="path">The corpus file.</param>
    /// <param name="samples">The most pairs to read.</param>
    /// <param name="skip">Good pairs to pass over first.</param>
    /// <param name="skipBadLines">Skip bad lines instead of failing.</param>
    /// <param name="maxLength">The longest sentence accepted, in tokens of <paramref name="level"/>; null for any.</param>
    /// <param name="level">The token level of <paramref name="maxLength"/>.</param>
    public static CorpusReadResult ReadCorpus(string path, int? samples, int skip, bool skipBadLines, int? maxLength = null, TokenLevel level = TokenLevel.Character)
    {
        var result = CorpusReader.Read(path, new CorpusReadOptions { MaxPairs = samples, SkipPairs = skip, SkipBadLines = skipBadLines, MaxLength = maxLength, LengthLevel = level });
        if (result.Pairs.Count == 0)
        {
            string where = skip > 0 ? $" after skipping {skip:N0} pairs" : string.Empty;
            throw new CliException($"'{path}' has no sentence pairs{where}");
        }

        return result;
    }

    /// <summary>One line about what was read: pairs, and lines passed over.</summary>
    public static string DescribeCorpus(CorpusReadResult corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        string text = $"{corpus.SourceName}: {corpus.Pairs.Count:N0} pairs";
        if (corpus.SkippedLines > 0)
        {
            SkippedLine? first = corpus.SkippedLineDetails.Count > 0 ? corpus.SkippedLineDetails[0] : null;
            string example = first is null ? string.Empty : $", first at line {first.LineNumber}: {first.Reason}";
            text += $" ({corpus.SkippedLines:N0} bad lines skipped{example})";
        }

        return text;
    }
}
