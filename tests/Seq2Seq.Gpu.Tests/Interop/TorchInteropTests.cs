using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Interop.Torch;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Cli;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Interop;

/// <summary>The PyTorch export: names and layouts, and ours → torch → ours giving the same model.</summary>
public sealed class TorchInteropTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-torch-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [TestCase(0, 1, CellKind.Lstm, false, VocabularyScheme.KerasCompatible)]
    [TestCase(4, 2, CellKind.Lstm, false, VocabularyScheme.Standard)]
    [TestCase(4, 2, CellKind.Gru, false, VocabularyScheme.Standard)]
    [TestCase(0, 2, CellKind.Lstm, true, VocabularyScheme.Standard)]
    [TestCase(3, 1, CellKind.Lstm, false, VocabularyScheme.Standard, RecurrentActivation.HardSigmoidKeras2)]
    [TestCase(4, 1, CellKind.Lstm, true, VocabularyScheme.Standard, RecurrentActivation.Sigmoid, AttentionKind.General)]
    [TestCase(0, 2, CellKind.Gru, false, VocabularyScheme.Standard, RecurrentActivation.Sigmoid, AttentionKind.Dot)]
    public void Ours_to_torch_to_ours_gives_identical_weights_and_translations(
        int embedding, int layers, CellKind cell, bool bidirectional, VocabularyScheme scheme, RecurrentActivation activation = RecurrentActivation.Sigmoid, AttentionKind attention = AttentionKind.None)
    {
        var pairs = TinyTasks.Reverse(8, 5, 4);
        using var model = NewModel(pairs, embedding, layers, cell, bidirectional, scheme, activation, attention);
        string path = Path.Combine(directory, "m.safetensors");

        TorchInterop.Export(path, model);
        using var back = TorchInterop.Import(TestDevices.Cpu(), path);

        Assert.That(back.Config, Is.EqualTo(model.Config));
        Assert.That(back.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));
        Assert.That((back.MaxSourceLength, back.MaxTargetLength), Is.EqualTo((model.MaxSourceLength, model.MaxTargetLength)));
        Assert.That(back.Text.SourceVocabulary.Tokens, Is.EqualTo(model.Text.SourceVocabulary.Tokens));
        Assert.That(back.Text.TargetVocabulary.SpecialTokens, Is.EqualTo(model.Text.TargetVocabulary.SpecialTokens));
        using var a = model.CreateTranslator();
        using var b = back.CreateTranslator();
        var sources = pairs.Select(p => p.Source).ToList();
        Assert.That(b.Translate(sources), Is.EqualTo(a.Translate(sources)));
    }

    [Test]
    public void The_export_has_pytorch_names_layouts_and_biases()
    {
        using var model = NewModel(TinyTasks.Reverse(8, 5, 4), 4, 2, CellKind.Lstm, bidirectional: true);
        var (_, file) = Exported(model);

        int h = model.Config.HiddenSize;
        var kernel = model.Weights.ReadTensor("encoder.lstm.1.reverse.kernel");
        var weightIh = file.GetFloat32("encoder.weight_ih_l1_reverse", [2 * h, h]);
        for (int r = 0; r < h; r++)
        {
            for (int c = 0; c < 2 * h; c++)
            {
                Assert.That(weightIh[(c * h) + r], Is.EqualTo(kernel[(r * 2 * h) + c]), $"weight_ih_l1_reverse[{c}, {r}] = kernel[{r}, {c}]");
            }
        }

        Assert.That(file.GetFloat32("decoder.bias_ih_l1", [4 * h]), Is.EqualTo(model.Weights.ReadTensor("decoder.lstm.1.bias")));
        Assert.That(file.GetFloat32("decoder.bias_hh_l1", [4 * h]), Is.All.Zero);
        Assert.That(file.GetFloat32("decoder_embedding.weight", [model.Config.TargetVocabSize, 4]), Is.EqualTo(model.Weights.ReadTensor("decoder.embedding")));
        Assert.That(file.GetTensor("output.weight").Shape, Is.EqualTo(new[] { model.Config.TargetVocabSize, h }));
        Assert.That(file.Metadata["format"], Is.EqualTo(TorchInterop.FormatName));
        Assert.That(file.Metadata.Keys, Is.SupersetOf(new[] { "config", "source_vocab", "target_vocab", "special_tokens" }));
    }

    [Test]
    public void A_gru_export_splits_the_bias_into_pytorch_s_two_rows()
    {
        using var model = NewModel(TinyTasks.Reverse(8, 5, 4), 0, 1, CellKind.Gru);
        var (_, file) = Exported(model);
        var bias = model.Weights.ReadTensor("encoder.gru.0.bias");
        int gates = bias.Length / 2;

        Assert.That(file.GetFloat32("encoder.bias_ih_l0", [gates]), Is.EqualTo(bias[..gates]));
        Assert.That(file.GetFloat32("encoder.bias_hh_l0", [gates]), Is.EqualTo(bias[gates..]));
    }

    [Test]
    public void Import_sums_the_two_lstm_biases()
    {
        using var model = NewModel(TinyTasks.Reverse(8, 5, 4), 0, 1, CellKind.Lstm);
        var (path, file) = Exported(model);
        var tensors = file.Tensors.Select(t => t.Name == "decoder.bias_hh_l0" ? new NamedTensor(t.Name, t.Shape, Enumerable.Repeat(0.25f, t.Length).ToArray()) : t).ToList();
        SafeTensorsFile.Write(path, file.Metadata, tensors);

        using var back = TorchInterop.Import(TestDevices.Cpu(), path);

        var expected = model.Weights.ReadTensor("decoder.lstm.0.bias").Select(v => v + 0.25f).ToArray();
        Assert.That(back.Weights.ReadTensor("decoder.lstm.0.bias"), Is.EqualTo(expected));
    }

    [TestCase("missing", "tensor 'encoder.bias_hh_l0' is missing")]
    [TestCase("shape", "encoder.weight_hh_l0")]
    [TestCase("dtype", "encoder.weight_hh_l0")]
    [TestCase("extra", "tensor 'encoder.weight_ih_l1' is not part of a model with this config")]
    [TestCase("format", "metadata 'format' is 'seq2seq.gpu'")]
    public void A_foreign_or_damaged_export_is_one_error_naming_the_file_and_tensor(string damage, string expected)
    {
        using var model = NewModel(TinyTasks.Reverse(8, 5, 4), 0, 1, CellKind.Lstm);
        var (path, file) = Exported(model);
        var tensors = file.Tensors.ToList();
        var metadata = file.Metadata.ToDictionary();
        var hh = tensors.Single(t => t.Name == "encoder.weight_hh_l0");
        switch (damage)
        {
            case "missing":
                tensors.RemoveAll(t => t.Name == "encoder.bias_hh_l0");
                break;
            case "shape":
                tensors[tensors.IndexOf(hh)] = new NamedTensor(hh.Name, [hh.Shape[1], hh.Shape[0]], hh.AsFloat32());
                break;
            case "dtype":
                tensors[tensors.IndexOf(hh)] = new NamedTensor(hh.Name, hh.Shape, new int[hh.Length]);
                break;
            case "extra":
                tensors.Add(new NamedTensor("encoder.weight_ih_l1", hh.Shape, hh.AsFloat32()));
                break;
            default:
                metadata["format"] = ModelCheckpoint.FormatName;
                break;
        }

        SafeTensorsFile.Write(path, metadata, tensors);

        Assert.That(() => TorchInterop.Import(TestDevices.Cpu(), path), Throws.InstanceOf<Seq2SeqException>().With.Message.Contains(path).And.Message.Contains(expected));
    }

    [Test]
    public void The_commands_export_and_import_back_and_refuse_a_file_that_is_not_safetensors()
    {
        using var model = NewModel(TinyTasks.Reverse(8, 5, 4), 4, 1, CellKind.Lstm);
        string checkpoint = Path.Combine(directory, "m.s2s");
        string exported = Path.Combine(directory, "m.safetensors");
        string back = Path.Combine(directory, "back.s2s");
        string garbage = Path.Combine(directory, "garbage.safetensors");
        File.WriteAllText(garbage, "hello");
        ModelCheckpoint.Save(checkpoint, model);

        var export = CliRun.Of("export", "torch", checkpoint, exported);
        var import = CliRun.Of("import", "torch", exported, "--out", back);
        var bad = CliRun.Of("import", "torch", garbage, "--out", back + ".2");

        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(import.ExitCode, Is.Zero, import.ToString());
        using var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), back).Model;
        Assert.That(loaded.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));
        Assert.That(bad.ExitCode, Is.EqualTo(1), bad.ToString());
        Assert.That(bad.ErrorLines, Has.Count.EqualTo(1));
        Assert.That(bad.ErrorLines[0], Does.Contain("garbage.safetensors"));
    }

    private (string Path, SafeTensorsFile File) Exported(Seq2SeqModel model)
    {
        string path = Path.Combine(directory, "m.safetensors");
        TorchInterop.Export(path, model);
        return (path, SafeTensorsFile.Read(path));
    }

    private static Seq2SeqModel NewModel(
        List<SentencePair> pairs, int embedding, int layers, CellKind cell, bool bidirectional = false, VocabularyScheme scheme = VocabularyScheme.Standard, RecurrentActivation activation = RecurrentActivation.Sigmoid,
        AttentionKind attention = AttentionKind.None)
    {
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var config = Seq2SeqConfig.ForText(text, embedding, 6, layers, cell, bidirectional, attention) with { RecurrentActivation = activation };
        var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: 5);
        var data = new ParallelDataset(pairs, text);
        model.MaxSourceLength = data.MaxSourceLength;
        model.MaxTargetLength = data.MaxTargetLength;
        return model;
    }
}
