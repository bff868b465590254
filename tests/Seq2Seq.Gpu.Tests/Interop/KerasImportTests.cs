using System.Text.Json;
using System.Text.Json.Nodes;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Interop.Keras;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Cli;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Interop;

/// <summary>Keras files written in Keras' own layouts from a random reference model, imported, and checked against the reference.</summary>
public sealed class KerasImportTests
{
    private const int Hidden = 5;
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-keras-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [TestCase(0, false, false)]
    [TestCase(0, true, false)]
    [TestCase(3, false, true)]
    [TestCase(3, true, false)]
    [TestCase(0, false, true, true)]
    [TestCase(3, true, false, true)]
    public void An_imported_model_gives_the_reference_logits_and_greedy_translations(int embedding, bool keras3, bool nestedCell, bool hardSigmoid = false)
    {
        // hard_sigmoid means 0.2x + 0.5 to Keras 2 and x/6 + 0.5 to Keras 3 (both clipped to [0, 1]).
        var pairs = TinyTasks.Reverse(8, 5, 21);
        var (text, maxSource, maxTarget) = KerasImport.VocabulariesFromData(pairs);
        string activation = !hardSigmoid ? ReferenceArchitecture.Sigmoid : keras3 ? ReferenceArchitecture.HardSigmoidKeras3 : ReferenceArchitecture.HardSigmoidKeras2;
        var reference = ReferenceModels.Random(
            ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, embedding, Hidden, 1, seed: 7, activation: activation);
        string path = Write(reference, keras3, nestedCell, hardSigmoid ? "hard_sigmoid" : "sigmoid");
        var (source, target) = WriteVocabularies(text);

        using var model = KerasImport.Load(TestDevices.Cpu(), path, KerasImport.ReadVocabularies(source, target), maxSource, maxTarget);

        Assert.That(model.Config with { RecurrentActivation = RecurrentActivation.Sigmoid }, Is.EqualTo(new Seq2SeqConfig(text.SourceVocabulary.Count, text.TargetVocabulary.Count, embedding, Hidden)));
        Assert.That(ReferenceModels.ActivationName(model.Config.RecurrentActivation), Is.EqualTo(activation));
        Assert.That(model.Text.SourceVocabulary.Tokens, Is.EqualTo(text.SourceVocabulary.Tokens));
        var batch = new ParallelDataset(pairs, model.Text).GetBatches(pairs.Count).Single();
        using (var trainer = new Trainer(model, new TrainerOptions()))
        {
            Tensors.AssertClose(trainer.TeacherForcedLogits(batch), reference.TeacherForcedLogits(TinyTasks.ToReference(batch)), "teacher-forced logits", 1e-5, 1e-4);
        }

        // Keras' inference code pads every source with spaces to max_encoder_seq_length; the translator does the same.
        using var translator = model.CreateTranslator();
        var sources = pairs.Select(p => model.Text.EncodeSource(p.Source)).ToList();
        var decoded = translator.DecodeIds(sources);
        var vocabulary = model.Text.TargetVocabulary;
        for (int i = 0; i < sources.Count; i++)
        {
            int[] padded = [.. sources[i], .. Enumerable.Repeat(model.Text.SourceVocabulary.PadId, maxSource - sources[i].Length)];
            Assert.That(decoded[i], Is.EqualTo(reference.GreedyDecode(padded, vocabulary.StartId, vocabulary.EndId, translator.MaxLength)), $"sentence {i}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Import_then_save_then_load_is_identical(bool keras3)
    {
        var pairs = TinyTasks.Reverse(6, 4, 5);
        var (text, maxSource, maxTarget) = KerasImport.VocabulariesFromData(pairs);
        string path = Write(ReferenceModels.Random(ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, 0, Hidden, 1, seed: 3), keras3);
        using var imported = KerasImport.Load(TestDevices.Cpu(), path, text, maxSource, maxTarget);
        string saved = Path.Combine(directory, "m.s2s");

        ModelCheckpoint.Save(saved, imported);
        using var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), saved).Model;

        Assert.That(loaded.Config, Is.EqualTo(imported.Config));
        Assert.That(loaded.Weights.Weights.ToArray(), Is.EqualTo(imported.Weights.Weights.ToArray()));
        Assert.That((loaded.MaxSourceLength, loaded.MaxTargetLength), Is.EqualTo((maxSource, maxTarget)));
        Assert.That(loaded.Text.TargetVocabulary.Tokens, Is.EqualTo(imported.Text.TargetVocabulary.Tokens));
        using var a = imported.CreateTranslator();
        using var b = loaded.CreateTranslator();
        var sources = pairs.Select(p => p.Source).ToList();
        Assert.That(b.Translate(sources), Is.EqualTo(a.Translate(sources)));
    }

    [TestCase("lstm", "go_backwards", "true", "layer 'lstm' (LSTM): go_backwards true")]
    [TestCase("lstm_1", "activation", "\"relu\"", "layer 'lstm_1' (LSTM): activation 'relu'")]
    [TestCase("dense", "activation", "\"linear\"", "layer 'dense' (Dense): activation 'linear' is not softmax")]
    [TestCase("lstm", "return_state", "false", "layer 'lstm' (LSTM): return_state is false")]
    [TestCase("lstm_1", "recurrent_activation", "\"relu\"", "layer 'lstm_1' (LSTM): recurrent_activation 'relu' is not supported")]
    [TestCase("lstm_1", "recurrent_activation", "\"hard_sigmoid\"", "layer 'lstm_1' (LSTM): recurrent_activation differs from the encoder's")]
    public void A_setting_outside_the_family_is_one_line_naming_the_file_layer_and_setting(string layer, string key, string value, string expected)
    {
        var (text, _, _) = KerasImport.VocabulariesFromData(TinyTasks.Reverse(6, 4, 5));
        var files = new KerasFiles(ReferenceModels.Random(ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, 0, Hidden, 1, seed: 3));
        files.Overrides[layer] = new() { [key] = JsonNode.Parse(value) };
        string path = Path.Combine(directory, "m.h5");
        files.WriteKeras2(path);

        Assert.That(() => KerasImport.Load(TestDevices.Cpu(), path, text), Throws.TypeOf<DataFormatException>().With.Message.Contains(path).And.Message.Contains(expected));
    }

    [Test]
    public void Vocabularies_that_do_not_match_the_weights_are_an_error_naming_the_layer()
    {
        var (text, _, _) = KerasImport.VocabulariesFromData(TinyTasks.Reverse(6, 4, 5));
        string path = Write(ReferenceModels.Random(ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, 0, Hidden, 1, seed: 3), keras3: true);
        var (other, _, _) = KerasImport.VocabulariesFromData(TinyTasks.Reverse(6, 4, 5, alphabet: "abcdefgh"));

        Assert.That(
            () => KerasImport.Load(TestDevices.Cpu(), path, other),
            Throws.TypeOf<DataFormatException>().With.Message.Contains(path).And.Message.Contains("layer 'lstm' (LSTM): kernel").And.Message.Contains("one-hot"));
    }

    [Test]
    public void Foreign_and_damaged_files_are_one_line_naming_the_file()
    {
        var (text, _, _) = KerasImport.VocabulariesFromData(TinyTasks.Reverse(6, 4, 5));
        string good = Write(ReferenceModels.Random(ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, 0, Hidden, 1, seed: 3), keras3: false);
        string notHdf5 = Path.Combine(directory, "notes.h5");
        File.WriteAllText(notHdf5, "not a model");
        string truncated = Path.Combine(directory, "cut.h5");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good)[..600]);
        string zip = Path.Combine(directory, "other.keras");
        System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create).Dispose();

        foreach (var (path, expected) in new[] { (notHdf5, "neither an HDF5 file"), (truncated, "cut.h5"), (zip, "without 'config.json'") })
        {
            Assert.That(() => KerasImport.Load(TestDevices.Cpu(), path, text), Throws.TypeOf<DataFormatException>().With.Message.Contains(path).And.Message.Contains(expected), path);
        }
    }

    [Test]
    public void A_vocabulary_file_without_the_keras_specials_is_an_error_naming_it()
    {
        string source = Path.Combine(directory, "s.json");
        File.WriteAllText(source, "{\"a\": 0, \"b\": 1}");
        string target = Path.Combine(directory, "t.json");
        File.WriteAllText(target, "{\"a\": 0, \"b\": 2}");
        string good = Path.Combine(directory, "good.json");
        File.WriteAllText(good, "{\" \": 0, \"a\": 1}");

        Assert.That(() => KerasImport.ReadVocabularies(source, good), Throws.TypeOf<DataFormatException>().With.Message.Contains("s.json").And.Message.Contains("padding token ' '"));
        Assert.That(() => KerasImport.ReadVocabularies(good, target), Throws.TypeOf<DataFormatException>().With.Message.Contains("t.json").And.Message.Contains("index 2"));
    }

    [Test]
    public void The_command_imports_with_data_and_with_vocabularies_and_refuses_both_at_once()
    {
        var pairs = TinyTasks.Reverse(6, 4, 5);
        string data = Path.Combine(directory, "pairs.txt");
        File.WriteAllLines(data, pairs.Select(p => $"{p.Source}\t{p.Target}"));
        var (text, _, _) = KerasImport.VocabulariesFromData(pairs);
        string path = Write(ReferenceModels.Random(ReferenceArchitecture.Lstm, text.SourceVocabulary.Count, text.TargetVocabulary.Count, 0, Hidden, 1, seed: 3), keras3: true);
        var (source, target) = WriteVocabularies(text);
        string fromData = Path.Combine(directory, "a.s2s");
        string fromVocab = Path.Combine(directory, "b.s2s");

        var first = CliRun.Of("import", "keras", path, "--data", data, "--out", fromData);
        var second = CliRun.Of("import", "keras", path, "--source-vocab", source, "--target-vocab", target, "--max-source-length", "4", "--out", fromVocab);
        var both = CliRun.Of("import", "keras", path, "--data", data, "--source-vocab", source, "--target-vocab", target, "--out", fromVocab);

        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(both.ExitCode, Is.EqualTo(2), both.ToString());
        Assert.That(both.ErrorLines, Has.Count.EqualTo(1));
        using var a = ModelCheckpoint.Load(TestDevices.Cpu(), fromData).Model;
        using var b = ModelCheckpoint.Load(TestDevices.Cpu(), fromVocab).Model;
        Assert.That(b.Weights.Weights.ToArray(), Is.EqualTo(a.Weights.Weights.ToArray()));
        Assert.That(a.MaxSourceLength, Is.EqualTo(pairs.Max(p => p.Source.Length)));
        Assert.That(b.MaxSourceLength, Is.EqualTo(4));
    }

    private string Write(ReferenceSeq2Seq reference, bool keras3, bool nestedCell = false, string recurrentActivation = "sigmoid")
    {
        var files = new KerasFiles(reference, recurrentActivation);
        string path = Path.Combine(directory, keras3 ? "s2s.keras" : "s2s.h5");
        if (keras3)
        {
            files.WriteKeras3(path);
        }
        else
        {
            files.WriteKeras2(path, nestedCell);
        }

        return path;
    }

    private (string Source, string Target) WriteVocabularies(TextEncoder text)
    {
        static string Json(Vocabulary v) => JsonSerializer.Serialize(v.Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i));
        string source = Path.Combine(directory, "input_token_index.json");
        string target = Path.Combine(directory, "target_token_index.json");
        File.WriteAllText(source, Json(text.SourceVocabulary));
        File.WriteAllText(target, Json(text.TargetVocabulary));
        return (source, target);
    }
}
