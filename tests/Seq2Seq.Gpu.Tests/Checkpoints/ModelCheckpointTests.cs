using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Checkpoints;

public sealed class ModelCheckpointTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-ckpt-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [TestCase(0, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, "decoder.lstm.0.recurrent_kernel", 24)]
    [TestCase(5, 2, VocabularyScheme.Standard, CellKind.Lstm, "decoder.lstm.0.recurrent_kernel", 24)]
    [TestCase(5, 2, VocabularyScheme.Standard, CellKind.Gru, "decoder.gru.1.recurrent_kernel", 18)]
    public void A_saved_model_loads_with_the_same_weights_vocabularies_and_config(int embedding, int layers, VocabularyScheme scheme, CellKind cell, string recurrentKernel, int gateWidth)
    {
        using var model = NewModel(embedding, layers, scheme, cell);
        model.MaxTargetLength = 7;
        string path = Path.Combine(directory, "m.s2s");

        ModelCheckpoint.Save(path, model);
        using var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), path).Model;

        Assert.That(loaded.Config, Is.EqualTo(model.Config));
        Assert.That(loaded.MaxTargetLength, Is.EqualTo(7));
        Assert.That(loaded.Text.Scheme, Is.EqualTo(scheme));
        Assert.That(loaded.Text.SourceVocabulary.Tokens, Is.EqualTo(model.Text.SourceVocabulary.Tokens));
        Assert.That(loaded.Text.TargetVocabulary.Tokens, Is.EqualTo(model.Text.TargetVocabulary.Tokens));
        Assert.That(loaded.Text.TargetVocabulary.SpecialTokens, Is.EqualTo(model.Text.TargetVocabulary.SpecialTokens));
        Assert.That(loaded.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));

        var file = SafeTensorsFile.Read(path);
        Assert.That(file.Metadata.Keys, Is.SupersetOf(new[] { "config", "source_vocab", "target_vocab", "special_tokens", "format_version" }));
        Assert.That(file.GetTensor(recurrentKernel).Shape, Is.EqualTo(new[] { 6, gateWidth }));
        Assert.That(file.Metadata["config"], Does.Contain($"\"cell\":\"{cell.ToString().ToLowerInvariant()}\""));
    }

    [Test]
    public void A_truncated_file_is_a_checkpoint_error_at_every_length()
    {
        using var model = NewModel(0, 1, VocabularyScheme.Standard);
        string path = Path.Combine(directory, "m.s2s");
        ModelCheckpoint.Save(path, model);
        byte[] bytes = File.ReadAllBytes(path);
        string cut = Path.Combine(directory, "cut.s2s");
        foreach (int length in new[] { 0, 3, 8, 9, 100, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(cut, bytes.AsSpan(0, length).ToArray());
            Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), cut).Model, Throws.TypeOf<CheckpointException>().With.Message.Contains("cut.s2s"), $"length {length}");
        }
    }

    [Test]
    public void Wrong_shapes_unknown_versions_and_foreign_files_are_clear_errors()
    {
        using var model = NewModel(0, 1, VocabularyScheme.Standard);
        string path = Path.Combine(directory, "m.s2s");
        ModelCheckpoint.Save(path, model);
        var file = SafeTensorsFile.Read(path);

        Rewrite("shape.s2s", file.Metadata, t => t.Name == "output.bias" ? new NamedTensor(t.Name, [t.Length - 1], t.AsFloat32()[..^1]) : t);
        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "shape.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains("output.bias"));

        var newer = new Dictionary<string, string>(file.Metadata) { ["format_version"] = "99" };
        Rewrite("version.s2s", newer, t => t);
        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "version.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains("version 99"));

        Rewrite("missing.s2s", file.Metadata, t => t.Name == "encoder.lstm.0.bias" ? null : t);
        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "missing.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains("'encoder.lstm.0.bias'").And.Message.Contains("missing"));

        var foreign = new Dictionary<string, string>(file.Metadata);
        foreign.Remove("format");
        Rewrite("foreign.s2s", foreign, t => t);
        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "foreign.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains("format"));

        var badVocab = new Dictionary<string, string>(file.Metadata) { ["target_vocab"] = "[\"<pad>\"]" };
        Rewrite("vocab.s2s", badVocab, t => t);
        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "vocab.s2s")), Throws.TypeOf<CheckpointException>());

        Assert.That(() => ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "absent.s2s")), Throws.TypeOf<CheckpointException>().With.Message.Contains("absent.s2s"));
    }

    private void Rewrite(string name, IReadOnlyDictionary<string, string> metadata, Func<NamedTensor, NamedTensor?> change)
    {
        var file = SafeTensorsFile.Read(Path.Combine(directory, "m.s2s"));
        var tensors = file.Tensors.Select(change).Where(t => t is not null).Select(t => t!).ToList();

        // Without the checksums, which the edit would break: each case is a file made that way, not a damaged one.
        SafeTensorsFile.Write(Path.Combine(directory, name), metadata.Where(e => e.Key != "checksums").ToDictionary(), tensors);
    }

    [Test]
    public void A_model_a_load_would_refuse_is_not_saved()
    {
        using var model = NewModel(5, 1, VocabularyScheme.Standard);
        string path = Path.Combine(directory, "long.s2s");
        ModelCheckpoint.Save(path, model);
        byte[] before = File.ReadAllBytes(path);
        model.MaxTargetLength = CheckpointLimits.MaxSequenceLength + 1;

        Assert.That(() => ModelCheckpoint.Save(path, model), Throws.TypeOf<CheckpointException>().With.Message.Contains("max_target_length").And.Message.Contains(path));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "the previous file is kept");
    }

    [TestCase("rmsprop")]
    [TestCase("adam")]
    public void A_model_saved_with_an_optimizer_that_has_not_stepped_loads_with_zero_optimizer_state(string name)
    {
        using var model = NewModel(5, 1, VocabularyScheme.Standard);
        var optimizer = Seq2Seq.Gpu.Optimizers.Optimizer.Create(name, 0.01f);
        Assert.That(model.Weights.OptimizerSlotCount, Is.Zero, "no state buffers before the first step");
        string path = Path.Combine(directory, "unstepped.s2s");

        ModelCheckpoint.Save(path, model, optimizer);
        var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), path);

        using (loaded.Model)
        {
            Assert.That(loaded.Optimizer!.Steps, Is.Zero);
            Assert.That(loaded.Model.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));
            for (int slot = 0; slot < optimizer.StateNames.Count; slot++)
            {
                Assert.That(loaded.Model.Weights.OptimizerState(slot).ToArray(), Is.All.Zero, $"state {optimizer.StateNames[slot]}");
            }
        }
    }

    [TestCase(CellKind.Lstm, "encoder.lstm.1.reverse.kernel", 6, 12)]
    [TestCase(CellKind.Gru, "encoder.gru.1.reverse.recurrent_kernel", 3, 9)]
    public void A_bidirectional_model_round_trips_and_a_unidirectional_one_does_not_mention_it(CellKind cell, string reverseTensor, int rows, int gateWidth)
    {
        using var model = NewModel(5, 2, VocabularyScheme.Standard, cell, bidirectional: true);
        using var unidirectional = NewModel(5, 2, VocabularyScheme.Standard, cell);
        string path = Path.Combine(directory, "bi.s2s");
        string plain = Path.Combine(directory, "uni.s2s");

        ModelCheckpoint.Save(path, model);
        ModelCheckpoint.Save(plain, unidirectional);
        using var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), path).Model;

        Assert.That(loaded.Config, Is.EqualTo(model.Config));
        Assert.That(loaded.Config.Bidirectional, Is.True);
        Assert.That(loaded.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));

        // Each direction has H/2 = 3 units; layer 1 reads the 6-wide concatenation of layer 0's two directions.
        var file = SafeTensorsFile.Read(path);
        Assert.That(file.GetTensor(reverseTensor).Shape, Is.EqualTo(new[] { rows, gateWidth }));
        Assert.That(file.Metadata["config"], Does.Contain("\"bidirectional\":true"));

        // Older files have no such field and load as unidirectional; new unidirectional files are written as before.
        Assert.That(SafeTensorsFile.Read(plain).Metadata["config"], Does.Not.Contain("bidirectional"));
        using var loadedPlain = ModelCheckpoint.Load(TestDevices.Cpu(), plain).Model;
        Assert.That(loadedPlain.Config.Bidirectional, Is.False);
    }

    private static Seq2SeqModel NewModel(int embedding, int layers, VocabularyScheme scheme, CellKind cell = CellKind.Lstm, bool bidirectional = false)
    {
        var pairs = TinyTasks.Reverse(10, 4, 3);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        return Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, embedding, 6, layers, cell, bidirectional), seed: 2);
    }
}
