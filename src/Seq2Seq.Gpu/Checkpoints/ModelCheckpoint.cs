using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// A model as one safetensors file: every parameter under its layout name and shape, optimizer state as
/// <c>optimizer.{state}.{parameter}</c>, and in <c>__metadata__</c> the JSON strings <c>format</c>,
/// <c>format_version</c>, <c>config</c>, <c>source_vocab</c>, <c>target_vocab</c> (token strings in id order),
/// <c>special_tokens</c> (pad, start, end, unk ids of the target vocabulary, and of the source one under
/// <c>source</c>), for training checkpoints <c>optimizer</c> and <c>training</c>, and <c>checksums</c> (SHA-256 of
/// every tensor's data and of the rest of the header; see docs/design.md, "Checkpoint integrity").
/// </summary>
/// <remarks>
/// A load verifies the checksums (unless <see cref="CheckpointLoadOptions.VerifyIntegrity"/> is off; files written
/// before checksums existed load with <see cref="LoadedCheckpoint.IntegrityNote"/> set), checks every number of the
/// config against <see cref="CheckpointLimits"/>, the special-token ids against the vocabularies and the tensor shapes
/// against the config, all before the model's device memory is allocated.
/// </remarks>
public static class ModelCheckpoint
{
    /// <summary>Value of the <c>format</c> metadata key.</summary>
    public const string FormatName = "seq2seq.gpu";

    /// <summary>The only format version this build reads and writes.</summary>
    public const int FormatVersion = 1;

    private const string OptimizerPrefix = "optimizer.";

    /// <summary>Metadata keys the format itself writes; extra metadata may not use them.</summary>
    private static readonly HashSet<string> ReservedKeys =
        ["format", "format_version", "config", "source_vocab", "target_vocab", "special_tokens", "optimizer", CheckpointChecksums.MetadataKey];

    private static JsonSerializerOptions Json => CheckpointJson.Options;

    /// <summary>
    /// Writes a checkpoint atomically; NaN or infinite weights, and a config or vocabulary that <see cref="Load"/> would
    /// refuse (<see cref="CheckpointLimits"/>), are refused with a <see cref="CheckpointException"/> and the previous file
    /// is kept. <paramref name="metadata"/> adds entries of the caller's own, which the checksums cover like the rest.
    /// </summary>
    public static void Save(string path, Seq2SeqModel model, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, model, optimizer: null, metadata);

    /// <summary>
    /// <see cref="Save(string, Seq2SeqModel, IReadOnlyDictionary{string, string}?)"/>, with <paramref name="optimizer"/>'s
    /// state too when it is given (the trainer's checkpoints for resuming, whose run state is the <c>training</c> entry).
    /// </summary>
    internal static void Save(string path, Seq2SeqModel model, Optimizer? optimizer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (metadata?.Keys.FirstOrDefault(ReservedKeys.Contains) is { } reserved)
        {
            throw new ArgumentException($"metadata key '{reserved}' is the checkpoint format's own", nameof(metadata));
        }

        var store = model.Weights;
        var tensors = store.Layout.Parameters.Select(p => new NamedTensor(p.Name, p.Shape.ToArray(), store.ReadTensor(p.Name))).ToList();
        var entries = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in Describe(model, $"cannot save '{path}'"))
        {
            entries[key] = value;
        }

        if (optimizer is not null)
        {
            entries["optimizer"] = JsonSerializer.Serialize(new OptimizerJson(optimizer.Name, optimizer.LearningRate, optimizer.Steps), Json);
            // An optimizer that has not stepped yet has no state buffers: its state is zero, and is written as such so
            // that every file with optimizer metadata loads (it used to be written without them and then refused).
            bool allocated = store.OptimizerSlotCount >= optimizer.StateNames.Count;
            for (int slot = 0; slot < optimizer.StateNames.Count; slot++)
            {
                foreach (var p in store.Layout.Parameters)
                {
                    float[] state = allocated ? store.ReadOptimizerState(slot, p.Name) : new float[p.Count];
                    tensors.Add(new NamedTensor($"{OptimizerPrefix}{optimizer.StateNames[slot]}.{p.Name}", p.Shape.ToArray(), state));
                }
            }
        }

        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            entries[key] = value;
        }

        entries[CheckpointChecksums.MetadataKey] = CheckpointChecksums.Compute(entries, tensors);
        SafeTensorsFile.Write(path, entries, tensors);
    }

    /// <summary>
    /// Reads a checkpoint onto a device. Every problem is a <see cref="CheckpointException"/> naming the file: damage
    /// (a checksum that does not match), a config number outside <see cref="CheckpointLimits"/>, special-token ids that
    /// do not name the vocabulary scheme's special tokens, a missing or misshapen tensor, an unknown version.
    /// </summary>
    /// <param name="device">Where the weights go.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">
    /// How to read it; <see langword="null"/> means <see cref="CheckpointLoadOptions.Default"/> (verify checksums, load any
    /// optimizer state for resuming); <see cref="CheckpointLoadOptions.Inference"/> allocates the weights alone.
    /// </param>
    public static LoadedCheckpoint Load(ComputeDevice device, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= CheckpointLoadOptions.Default;

        // Checksums first, then finiteness: a flipped exponent bit is reported as damage, not as a NaN weight.
        var file = SafeTensorsFile.ReadBeforeVerification(path);
        CheckpointIntegrity integrity = options.VerifyIntegrity ? CheckpointChecksums.Verify(file) : CheckpointIntegrity.NotVerified;
        file.ThrowIfNonFinite();

        string where = $"checkpoint '{path}'";
        string format = Meta(file, "format", where);
        if (format != FormatName)
        {
            throw new CheckpointException($"{where}: format '{format}' is not a {FormatName} model");
        }

        string version = Meta(file, "format_version", where);
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new CheckpointException($"{where}: format version {version} is not supported (this build reads version {FormatVersion})");
        }

        var description = ReadDescription(file.Metadata, where);
        var layout = description.Layout;

        // Everything the device will hold is checked against the file before it is allocated, so a config that lies
        // about the model's size costs nothing: the weights must be in the file, with the shapes the config implies.
        foreach (var p in layout.Parameters)
        {
            if (!file.Contains(p.Name))
            {
                throw new CheckpointException($"{where}: tensor '{p.Name}' {p.ShapeText} is missing");
            }

            _ = file.GetFloat32(p.Name, p.Shape.ToArray());
        }

        var unexpected = file.Tensors.Select(t => t.Name).FirstOrDefault(n => !n.StartsWith(OptimizerPrefix, StringComparison.Ordinal) && !layout.Contains(n));
        if (unexpected is not null)
        {
            throw new CheckpointException($"{where}: tensor '{unexpected}' is not part of a model with this config");
        }

        // Inference leaves a training checkpoint's optimizer state in the file: only the weights go to the device.
        var optimizer = options.OptimizerState ? ReadOptimizer(file, layout, where) : null;

        var model = description.CreateUninitialized(device);
        try
        {
            var store = model.Weights;
            foreach (var p in layout.Parameters)
            {
                store.WriteTensor(p.Name, file.GetFloat32(p.Name, p.Shape.ToArray()));
            }

            if (optimizer is not null)
            {
                store.EnsureOptimizerSlots(optimizer.StateNames.Count);
                for (int slot = 0; slot < optimizer.StateNames.Count; slot++)
                {
                    foreach (var p in layout.Parameters)
                    {
                        store.WriteOptimizerState(slot, p.Name, file.GetFloat32(OptimizerTensorName(optimizer, slot, p.Name), p.Shape.ToArray()));
                    }
                }
            }

            return new LoadedCheckpoint(model, optimizer, file.Metadata) { Path = path, Integrity = integrity, IntegrityNote = Note(path, integrity) };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The metadata entries that describe a model apart from its tensors (<c>config</c>, <c>source_vocab</c>,
    /// <c>target_vocab</c>, <c>special_tokens</c>), checked as a load would check them; shared with the PyTorch export.
    /// </summary>
    internal static Dictionary<string, string> Describe(Seq2SeqModel model, string where)
    {
        var text = model.Text;
        var config = model.Config;
        var configJson = new ConfigJson(config.SourceVocabSize, config.TargetVocabSize, config.EmbeddingSize, config.HiddenSize, config.Layers,
            text.Level.ToString().ToLowerInvariant(), text.Scheme == VocabularyScheme.KerasCompatible ? "keras" : "standard",
            model.MaxSourceLength, model.MaxTargetLength, RecurrentCells.For(config.Cell).Name, config.Bidirectional ? true : null, ActivationName(config.RecurrentActivation),
            config.HasAttention ? config.Attention.Name() : null);

        // What a load would refuse is not written: the error comes now, naming the field, not at the next load.
        CheckConfig(configJson, where);
        CheckpointVocabularies.CheckTokens([.. text.SourceVocabulary.Tokens], "source_vocab", config.SourceVocabSize, "source_vocab_size", where);
        CheckpointVocabularies.CheckTokens([.. text.TargetVocabulary.Tokens], "target_vocab", config.TargetVocabSize, "target_vocab_size", where);
        return new Dictionary<string, string>
        {
            ["config"] = JsonSerializer.Serialize(configJson, Json),
            ["source_vocab"] = JsonSerializer.Serialize(text.SourceVocabulary.Tokens),
            ["target_vocab"] = JsonSerializer.Serialize(text.TargetVocabulary.Tokens),
            ["special_tokens"] = JsonSerializer.Serialize(
                Specials(text.TargetVocabulary.SpecialTokens, Specials(text.SourceVocabulary.SpecialTokens)), Json),
        };
    }

    /// <summary>Reads back what <see cref="Describe"/> wrote, with every check of a load; errors name <paramref name="where"/>.</summary>
    internal static ModelDescription ReadDescription(IReadOnlyDictionary<string, string> metadata, string where)
    {
        var config = Parse<ConfigJson>(metadata, "config", where);
        CheckConfig(config, where);
        var sourceTokens = Parse<string[]>(metadata, "source_vocab", where);
        var targetTokens = Parse<string[]>(metadata, "target_vocab", where);
        CheckpointVocabularies.CheckTokens(sourceTokens, "source_vocab", config.SourceVocabSize, "source_vocab_size", where);
        CheckpointVocabularies.CheckTokens(targetTokens, "target_vocab", config.TargetVocabSize, "target_vocab_size", where);
        var specials = Parse<SpecialsJson>(metadata, "special_tokens", where);
        if (specials.Source is null)
        {
            throw new CheckpointException($"{where}: metadata 'special_tokens' has no 'source' entry");
        }

        TextEncoder text;
        Seq2SeqConfig modelConfig;
        ParameterLayout layout;
        try
        {
            var level = config.Level switch
            {
                "character" => TokenLevel.Character,
                "word" => TokenLevel.Word,
                _ => throw new CheckpointException($"{where}: unknown token level '{config.Level}'"),
            };
            var scheme = config.Scheme switch
            {
                "keras" => VocabularyScheme.KerasCompatible,
                "standard" => VocabularyScheme.Standard,
                _ => throw new CheckpointException($"{where}: unknown vocabulary scheme '{config.Scheme}'"),
            };
            var source = Vocabulary.FromTokens(sourceTokens, specials.Source.ToTokens());
            var target = Vocabulary.FromTokens(targetTokens, specials.ToTokens());
            CheckpointVocabularies.CheckSpecials(source, level, scheme, isTarget: false, where);
            CheckpointVocabularies.CheckSpecials(target, level, scheme, isTarget: true, where);
            text = new TextEncoder(level, scheme, source, target);
            var cell = config.Cell switch
            {
                null or "lstm" => CellKind.Lstm,
                "gru" => CellKind.Gru,
                _ => throw new CheckpointException($"{where}: unknown cell '{config.Cell}' in metadata 'config' (lstm or gru)"),
            };
            var activation = config.RecurrentActivation switch
            {
                null or "sigmoid" => RecurrentActivation.Sigmoid,
                "hard_sigmoid_keras2" => RecurrentActivation.HardSigmoidKeras2,
                "hard_sigmoid_keras3" => RecurrentActivation.HardSigmoidKeras3,
                _ => throw new CheckpointException(
                    $"{where}: unknown recurrent_activation '{config.RecurrentActivation}' in metadata 'config' (sigmoid, hard_sigmoid_keras2 or hard_sigmoid_keras3)"),
            };
            var attention = AttentionKind.None;
            if (config.Attention is not null && !AttentionKinds.TryParse(config.Attention, out attention))
            {
                throw new CheckpointException($"{where}: unknown attention '{config.Attention}' in metadata 'config' (none, dot or general)");
            }
            modelConfig = new Seq2SeqConfig(
                config.SourceVocabSize, config.TargetVocabSize, config.EmbeddingSize, config.HiddenSize, config.Layers, cell, config.Bidirectional ?? false, activation, attention);
            layout = ModelLayout.Create(modelConfig);
        }
        catch (Exception ex) when (ex is DataFormatException or ShapeException or ArgumentException)
        {
            throw new CheckpointException($"{where}: {ex.Message}", ex);
        }

        return new ModelDescription(modelConfig, text, layout, config.MaxSourceLength, config.MaxTargetLength);
    }

    private static string? Note(string path, CheckpointIntegrity integrity) => integrity switch
    {
        CheckpointIntegrity.NoChecksums => $"checkpoint '{path}' has no checksums (it was written by an older version); its data could not be verified",
        CheckpointIntegrity.NotVerified => $"checkpoint '{path}' was loaded without verifying its checksums",
        _ => null,
    };

    private static void CheckConfig(ConfigJson config, string where)
    {
        CheckRange(config.SourceVocabSize, "source_vocab_size", 1, CheckpointLimits.MaxVocabularySize, where);
        CheckRange(config.TargetVocabSize, "target_vocab_size", 1, CheckpointLimits.MaxVocabularySize, where);
        CheckRange(config.EmbeddingSize, "embedding_size", 0, CheckpointLimits.MaxEmbeddingSize, where);
        CheckRange(config.HiddenSize, "hidden_size", 1, CheckpointLimits.MaxHiddenSize, where);
        CheckRange(config.Layers, "layers", 1, Seq2SeqConfig.MaxLayers, where);
        CheckRange(config.MaxSourceLength, "max_source_length", 0, CheckpointLimits.MaxSequenceLength, where);
        CheckRange(config.MaxTargetLength, "max_target_length", 0, CheckpointLimits.MaxSequenceLength, where);
    }

    private static void CheckRange(long value, string field, long min, long max, string where) =>
        CheckpointJson.CheckRange(value, field, min, max, where, "metadata 'config'");

    private static string OptimizerTensorName(Optimizer optimizer, int slot, string parameter) => $"{OptimizerPrefix}{optimizer.StateNames[slot]}.{parameter}";

    private static Optimizer? ReadOptimizer(SafeTensorsFile file, ParameterLayout layout, string where)
    {
        if (!file.Metadata.ContainsKey("optimizer"))
        {
            return null;
        }

        var info = Parse<OptimizerJson>(file, "optimizer", where);
        if (!float.IsFinite(info.LearningRate) || info.LearningRate <= 0)
        {
            throw new CheckpointException($"{where}: metadata 'optimizer': learning_rate {info.LearningRate.ToString(CultureInfo.InvariantCulture)} is not a positive number");
        }

        CheckpointJson.CheckRange(info.Steps, "steps", 0, long.MaxValue, where, "metadata 'optimizer'");
        Optimizer optimizer;
        try
        {
            optimizer = Optimizer.Create(info.Name, info.LearningRate);
        }
        catch (ArgumentException ex)
        {
            throw new CheckpointException($"{where}: {ex.Message}", ex);
        }

        optimizer.RestoreSteps(info.Steps);
        for (int slot = 0; slot < optimizer.StateNames.Count; slot++)
        {
            foreach (var p in layout.Parameters)
            {
                string name = OptimizerTensorName(optimizer, slot, p.Name);
                if (!file.Contains(name))
                {
                    throw new CheckpointException($"{where}: optimizer state '{name}' is missing");
                }

                _ = file.GetFloat32(name, p.Shape.ToArray());
            }
        }

        return optimizer;
    }

    private static string Meta(SafeTensorsFile file, string key, string where) => Meta(file.Metadata, key, where);

    private static string Meta(IReadOnlyDictionary<string, string> metadata, string key, string where) =>
        metadata.TryGetValue(key, out var value) ? value : throw new CheckpointException($"{where}: metadata '{key}' is missing; is this a {FormatName} model?");

    private static T Parse<T>(SafeTensorsFile file, string key, string where) => Parse<T>(file.Metadata, key, where);

    private static T Parse<T>(IReadOnlyDictionary<string, string> metadata, string key, string where) => CheckpointJson.Parse<T>(Meta(metadata, key, where), key, where);

    private static SpecialJson Specials(SpecialTokens s) => new(s.Pad, s.Start, s.End, s.Unk);

    private static SpecialsJson Specials(SpecialTokens s, SpecialJson source) => new(s.Pad, s.Start, s.End, s.Unk, source);

    /// <summary>The checkpoint's name of a recurrent activation; null (not written) for the sigmoid, so such files are unchanged.</summary>
    private static string? ActivationName(RecurrentActivation activation) => activation switch
    {
        RecurrentActivation.HardSigmoidKeras2 => "hard_sigmoid_keras2",
        RecurrentActivation.HardSigmoidKeras3 => "hard_sigmoid_keras3",
        _ => null,
    };

    /// <summary>
    /// The <c>config</c> metadata; <c>cell</c> is absent in files from before the GRU (they are LSTMs),
    /// <c>recurrent_activation</c> in files of sigmoid models (every file from before the option), and
    /// <c>bidirectional</c> and <c>attention</c> in files without them.
    /// </summary>
    private sealed record ConfigJson(
        int SourceVocabSize, int TargetVocabSize, int EmbeddingSize, int HiddenSize, int Layers, string Level, string Scheme, int MaxSourceLength, int MaxTargetLength, string? Cell = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Bidirectional = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RecurrentActivation = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Attention = null);

    private sealed record OptimizerJson(string Name, float LearningRate, long Steps);

    private sealed record SpecialJson(int Pad, int Start, int End, int Unk)
    {
        public SpecialTokens ToTokens() => new(Pad, Start, End, Unk);
    }

    private sealed record SpecialsJson(int Pad, int Start, int End, int Unk, SpecialJson? Source)
    {
        public SpecialTokens ToTokens() => new(Pad, Start, End, Unk);
    }
}
