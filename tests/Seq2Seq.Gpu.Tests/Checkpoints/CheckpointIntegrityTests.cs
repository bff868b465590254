using System.Buffers.Binary;
using System.Text;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

/// <summary>
/// Damage that the safetensors structure cannot see: bit flips inside tensor data and edits of the metadata (caught
/// by the checksums), config numbers out of range and special-token ids that do not name the special tokens
/// (caught by the metadata checks). These tests use only the API that existed before those checks.
/// </summary>
public sealed class CheckpointIntegrityTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-integrity-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void A_flipped_low_bit_in_any_tensor_is_reported_as_corrupt_naming_the_tensor()
    {
        string path = SaveModel(VocabularyScheme.Standard, "m.s2s");
        byte[] bytes = File.ReadAllBytes(path);
        long dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string damaged = Path.Combine(directory, "damaged.s2s");
        long offset = 0;
        foreach (NamedTensor tensor in SafeTensorsFile.Read(path).Tensors)
        {
            // The lowest mantissa bit of the tensor's last element: a finite value stays finite, so only a checksum sees it.
            long at = dataStart + offset + ((long)tensor.Length * tensor.ElementSize) - tensor.ElementSize;
            byte[] copy = (byte[])bytes.Clone();
            copy[at] ^= 1;
            File.WriteAllBytes(damaged, copy);

            Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), damaged).Model,
                Throws.TypeOf<CheckpointException>().With.Message.Contains("damaged.s2s").And.Message.Contains("corrupt").And.Message.Contains($"'{tensor.Name}'"),
                tensor.Name);
            offset += (long)tensor.Length * tensor.ElementSize;
        }
    }

    [Test]
    public void An_edited_vocabulary_with_its_old_checksums_is_reported_as_corrupt()
    {
        string path = SaveModel(VocabularyScheme.Standard, "m.s2s");
        var file = SafeTensorsFile.Read(path);
        string vocabulary = file.Metadata["target_vocab"];
        var metadata = new Dictionary<string, string>(file.Metadata) { ["target_vocab"] = vocabulary.Replace("\"a\"", "\"z\"", StringComparison.Ordinal) };
        Assert.That(metadata["target_vocab"], Is.Not.EqualTo(vocabulary), "the edit changed the vocabulary");
        string edited = Path.Combine(directory, "edited.s2s");
        SafeTensorsFile.Write(edited, metadata, file.Tensors);

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), edited).Model,
            Throws.TypeOf<CheckpointException>().With.Message.Contains("edited.s2s").And.Message.Contains("corrupt"));
    }

    [TestCase("max_target_length", 2_000_000_000, "65,536")]
    [TestCase("max_target_length", -1, "65,536")]
    [TestCase("max_source_length", -5, "65,536")]
    [TestCase("hidden_size", 100_000, "16,384")]
    [TestCase("hidden_size", -6, "16,384")]
    [TestCase("embedding_size", -1, "16,384")]
    [TestCase("layers", 9, "4")]
    [TestCase("source_vocab_size", -3, "1,000,000")]
    [TestCase("target_vocab_size", 2_000_000, "1,000,000")]
    public void A_config_number_out_of_range_is_refused_naming_field_value_and_limit(string field, int value, string limit)
    {
        string path = SaveModel(VocabularyScheme.Standard, "m.s2s");
        string edited = RewriteMetadata(path, "config", json => SetJsonNumber(json, field, value));

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), edited).Model,
            Throws.TypeOf<CheckpointException>().With.Message.Contains(field).And.Message.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Message.Contains(limit));
    }

    [Test]
    public void A_config_larger_than_the_tensors_in_the_file_is_refused_before_device_memory_is_allocated()
    {
        string path = SaveModel(VocabularyScheme.Standard, "m.s2s");
        string edited = RewriteMetadata(path, "config", json => SetJsonNumber(json, "hidden_size", 2048));
        var device = TestDevices.Cpu();
        long before = device.AllocatedBytes;
        device.ResetPeakMemory();

        Assert.That(() => ModelCheckpoint.Load(device, edited).Model, Throws.TypeOf<CheckpointException>().With.Message.Contains("shape"));
        Assert.That(device.PeakAllocatedBytes - before, Is.LessThan(1 << 20), "the lying config allocated device memory");
    }

    [Test]
    public void An_end_id_that_names_a_data_token_is_refused()
    {
        string path = SaveModel(VocabularyScheme.Standard, "m.s2s");
        int space = SafeTensorsFile.Read(path).Metadata["target_vocab"].Split(',').ToList().FindIndex(t => t.Contains("\" \"", StringComparison.Ordinal));
        Assert.That(space, Is.GreaterThan(3), "the target vocabulary holds a space");
        string edited = RewriteMetadata(path, "special_tokens", json => SetJsonNumber(json, "end", space));

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), edited).Model,
            Throws.TypeOf<CheckpointException>().With.Message.Contains("END").And.Message.Contains("special_tokens"));
    }

    [Test]
    public void Swapped_keras_markers_are_refused()
    {
        string path = SaveModel(VocabularyScheme.KerasCompatible, "k.s2s");
        string specials = SafeTensorsFile.Read(path).Metadata["special_tokens"];
        var target = System.Text.Json.JsonDocument.Parse(specials).RootElement;
        int start = target.GetProperty("start").GetInt32(), end = target.GetProperty("end").GetInt32();
        string edited = RewriteMetadata(path, "special_tokens", json => json
            .Replace($"\"start\":{start},\"end\":{end},", $"\"start\":{end},\"end\":{start},", StringComparison.Ordinal));
        Assert.That(SafeTensorsFile.Read(edited).Metadata["special_tokens"], Is.Not.EqualTo(specials), "the edit swapped the markers");

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), edited).Model,
            Throws.TypeOf<CheckpointException>().With.Message.Contains("START").And.Message.Contains("special_tokens"));
    }

    [Test]
    public void A_negative_optimizer_step_count_is_a_checkpoint_error()
    {
        using var model = NewModel(VocabularyScheme.Standard);
        model.Weights.EnsureOptimizerSlots(1);
        string path = Path.Combine(directory, "t.s2s");
        ModelCheckpoint.Save(path, model, Seq2Seq.Gpu.Optimizers.Optimizer.Create("rmsprop", 1e-3f));
        string edited = RewriteMetadata(path, "optimizer", json => SetJsonNumber(json, "steps", -4));

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), edited).Model, Throws.TypeOf<CheckpointException>().With.Message.Contains("steps"));
    }

    /// <summary>Rewrites one metadata entry without the checksums, as a file from before checksums would be.</summary>
    private string RewriteMetadata(string path, string key, Func<string, string> edit)
    {
        var file = SafeTensorsFile.Read(path);
        var metadata = new Dictionary<string, string>(file.Metadata);
        metadata.Remove("checksums");
        string before = metadata[key];
        metadata[key] = edit(before);
        Assert.That(metadata[key], Is.Not.EqualTo(before), $"the edit of '{key}' changed nothing");
        string edited = Path.Combine(directory, "edited-" + Path.GetFileName(path));
        SafeTensorsFile.Write(edited, metadata, file.Tensors);
        return edited;
    }

    private static string SetJsonNumber(string json, string field, long value)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node[field] = value;
        return node.ToJsonString();
    }

    private string SaveModel(VocabularyScheme scheme, string name)
    {
        using var model = NewModel(scheme);
        model.MaxTargetLength = 7;
        string path = Path.Combine(directory, name);
        ModelCheckpoint.Save(path, model);
        return path;
    }

    private static Seq2SeqModel NewModel(VocabularyScheme scheme)
    {
        List<SentencePair> pairs = [new("ab c", "c ba"), new("b a", "a b"), new("cab", "bac")];
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        return Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, scheme == VocabularyScheme.Standard ? 3 : 0, 4), seed: 3);
    }
}
