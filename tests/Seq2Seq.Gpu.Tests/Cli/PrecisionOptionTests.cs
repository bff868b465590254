using System.Text.Json;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary><c>--precision</c> of translate, eval and bench: accepted values, bad values, the ILGPU kernels' bfloat16 products.</summary>
public sealed class PrecisionOptionTests
{
    private string directory = string.Empty;
    private string model = string.Empty;
    private string corpus = string.Empty;

    [OneTimeSetUp]
    public void SaveModel()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-precision-").FullName;
        model = Path.Combine(directory, "m.s2s");
        corpus = Path.Combine(directory, "pairs.txt");
        var pairs = TinyTasks.Reverse(8, 4, 17);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var m = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 0, 8), seed: 4);
        ModelCheckpoint.Save(model, m);
        File.WriteAllLines(corpus, pairs.Select(p => $"{p.Source}\t{p.Target}"));
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Translate_and_eval_accept_bf16_on_the_host_kernels()
    {
        var translate = CliRun.Of("translate", "--model", model, "--device", "cpu", "--precision", "bf16", "abc");
        var eval = CliRun.Of("eval", "--model", model, "--data", corpus, "--device", "cpu", "--precision", "bf16", "--json");

        Assert.That(translate.ExitCode, Is.Zero, translate.ToString());
        Assert.That(translate.Out.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(eval.ExitCode, Is.Zero, eval.ToString());
        using var json = JsonDocument.Parse(eval.Out.Trim());
        Assert.That(json.RootElement.GetProperty("precision").GetString(), Is.EqualTo("bf16"));
    }

    [TestCase("translate")]
    [TestCase("eval")]
    public void An_unknown_precision_is_a_usage_error(string command)
    {
        var run = command == "translate"
            ? CliRun.Of("translate", "--model", model, "--device", "cpu", "--precision", "fp16", "abc")
            : CliRun.Of("eval", "--model", model, "--data", corpus, "--device", "cpu", "--precision", "fp16");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("fp16"));
    }

    [Test]
    public void Bench_rejects_an_unknown_precision_in_its_list()
    {
        var run = CliRun.Of("bench", "--device", "cpu", "--precision", "fp32,int8");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("int8").And.Contain("fp32 or bf16"));
    }

    [Test]
    public void Bf16_with_the_ilgpu_kernels_translates_as_the_library_does_there()
    {
        string[] sentences = ["abc", "dcba", "bad"];
        var run = CliRun.Of(["translate", "--model", model, "--device", "cpu", "--cpu-kernels", "ilgpu", "--precision", "bf16", .. sentences]);

        using var loaded = ModelCheckpoint.Load(TestDevices.CpuIlgpu(), model).Model;
        using var translator = loaded.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16 });
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out.TrimEnd('\n').Split('\n'), Is.EqualTo(translator.Translate(sentences)));
    }

    [Test]
    public void Bench_measures_each_precision_in_one_run()
    {
        var run = CliRun.Of("bench", "--config", "keras-char", "--device", "cpu", "--steps", "1", "--warmup", "0", "--precision", "fp32,bf16", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var lines = run.Out.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        using var fp32 = JsonDocument.Parse(lines[0]);
        using var bf16 = JsonDocument.Parse(lines[1]);
        Assert.That(fp32.RootElement.GetProperty("precision").GetString(), Is.EqualTo("fp32"));
        Assert.That(bf16.RootElement.GetProperty("precision").GetString(), Is.EqualTo("bf16"));
        Assert.That(bf16.RootElement.GetProperty("config").GetString(), Is.EqualTo("keras-char+bf16"));
        Assert.That(bf16.RootElement.GetProperty("decode_step_us_b1").GetDouble(), Is.GreaterThan(0));
        Assert.That(bf16.RootElement.GetProperty("decode_bytes_per_step").GetInt64(), Is.EqualTo(580_468), "keras-char's kernels at 2 bytes (ModelCost)");
        Assert.That(fp32.RootElement.GetProperty("decode_bytes_per_step").GetInt64(), Is.EqualTo(1_152_372));
    }
}
