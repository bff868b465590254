using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Cli.Output;

/// <summary>How numbers, sizes and model facts are written for people (invariant culture throughout).</summary>
internal static class Format
{
    /// <summary>A byte count in B, KiB, MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 0 => "?",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.#} GiB",
    };

    /// <summary>A device in one line: name, kind, memory (not for the CPU accelerator, which reports none), warp size, SMs.</summary>
    public static string Device(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return $"{info.Name} ({info.Kind}, {Memory(info)}warp {info.WarpSize}, {info.Multiprocessors} SMs)";

        static string Memory(DeviceInfo d) => HasMemorySize(d) ? Bytes(d.MemoryBytes) + ", " : string.Empty;
    }

    /// <summary>Whether the device reports a real memory size (ILGPU's CPU accelerator reports <see cref="long.MaxValue"/>).</summary>
    public static bool HasMemorySize(DeviceInfo info) => info is not null && info.MemoryBytes > 0 && info.MemoryBytes < long.MaxValue / 2;

    /// <summary>Seconds as <c>12.3 s</c>, or <c>2 min 05 s</c> from two minutes on.</summary>
    public static string Seconds(double seconds) => seconds < 120
        ? $"{seconds:0.0} s"
        : $"{(int)(seconds / 60)} min {(int)(seconds % 60):00} s";

    /// <summary>A loss or accuracy with four decimals.</summary>
    public static string Metric(double value) => value.ToString("0.0000");

    /// <summary><c>character level, Keras-compatible vocabulary</c> and the like.</summary>
    public static string Text(TextEncoder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string level = text.Level == TokenLevel.Character ? "character level" : "word level";
        string scheme = text.Scheme == VocabularyScheme.KerasCompatible ? "Keras-compatible vocabulary" : "standard vocabulary";
        return $"{level}, {scheme} ({text.SourceVocabulary.Count:N0} source / {text.TargetVocabulary.Count:N0} target tokens)";
    }

    /// <summary>The model's shape and parameter count in one line.</summary>
    public static string Model(Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Seq2SeqConfig c = model.Config;
        string inputs = c.OneHot ? "one-hot inputs" : $"embedding {c.EmbeddingSize}";
        long parameters = model.Weights.Layout.Parameters.Sum(p => p.Count);
        return $"{inputs}, {c.Cell.ToString().ToUpperInvariant()} hidden {c.HiddenSize}{(c.Bidirectional ? " (bidirectional encoder)" : string.Empty)}, {c.Layers} layer{(c.Layers == 1 ? string.Empty : "s")}{(c.HasAttention ? $", {c.Attention.Name()} attention" : string.Empty)}, {parameters:N0} parameters";
    }
}
