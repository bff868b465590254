using System.Diagnostics;
using System.Text;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// <c>seq2seq translate</c>'s text and device handling: n-best lists with the truncation warning, UTF-8 in and out
/// whatever the locale, and <c>--device cuda:N</c>.
/// </summary>
public sealed class TranslateCommandTests
{
    private const string LongInput = "élève élève élève élève";
    private string directory = string.Empty;
    private string model = string.Empty;

    [OneTimeSetUp]
    public void SaveKerasModel()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-translate-").FullName;
        model = Path.Combine(directory, "k.s2s");
        var pairs = TinyTasks.Reverse(16, 4, 21);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
        using var m = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 0, 8), seed: 5);
        m.MaxSourceLength = 6; // Keras-compatible models truncate longer input to their training maximum, and say so
        m.MaxTargetLength = 8;
        ModelCheckpoint.Save(model, m);
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [TestCase(1)]
    [TestCase(3)]
    public void A_truncated_input_is_warned_about_once_whatever_the_nbest(int n)
    {
        var run = CliRun.Of("translate", "--model", model, "--device", "cpu", "--beam", "3", "--nbest", $"{n}", LongInput);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.ErrorLines, Is.EqualTo(new[] { $"seq2seq: warning: input longer than the model's 6 source tokens was truncated: {LongInput}" }));
        Assert.That(run.Out.Count(c => c == '\n'), Is.EqualTo(n), "one line a hypothesis");
    }

    [Test]
    public void The_best_of_an_nbest_list_is_the_beam_search_translation()
    {
        var best = CliRun.Of("translate", "--model", model, "--device", "cpu", "--beam", "3", "abc");
        var list = CliRun.Of("translate", "--model", model, "--device", "cpu", "--beam", "3", "--nbest", "3", "abc");

        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        string first = list.Out.Split('\n')[0];
        Assert.That(first[(first.IndexOf('\t', StringComparison.Ordinal) + 1)..], Is.EqualTo(best.Out.TrimEnd('\n')));
    }

    [Test]
    public void Input_and_output_are_utf8_even_under_a_latin1_locale()
    {
        var start = new ProcessStartInfo(ChildCli.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "seq2seq.dll"), "translate", "--model", model, "--device", "cpu" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LANG"] = "fr_FR.ISO-8859-1";
        start.Environment["LC_ALL"] = "fr_FR.ISO-8859-1";
        using var process = Process.Start(start)!;
        process.StandardInput.WriteLine(LongInput);
        process.StandardInput.Close();
        string error = process.StandardError.ReadToEnd();
        _ = process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "the child finished");

        Assert.That(process.ExitCode, Is.Zero, error);
        Assert.That(error, Does.EndWith($"was truncated: {LongInput}\n"), "the sentence was read as UTF-8 and written back as UTF-8");
    }

    [TestCase("gpu")]
    [TestCase("cuda:")]
    [TestCase("cuda:x")]
    [TestCase("cpu:1")]
    [TestCase("auto:0")]
    public void A_device_that_is_not_a_kind_or_an_indexed_gpu_is_a_usage_error(string device)
    {
        var run = CliRun.Of("translate", "--model", model, "--device", device, "abc");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1));
        Assert.That(run.ErrorLines[0], Does.Contain($"unknown device '{device}'").And.Contain("cuda:N"));
    }

    [Test]
    public void An_indexed_device_that_does_not_exist_is_one_error_naming_the_kind()
    {
        var run = CliRun.Of("translate", "--model", model, "--device", "opencl:999", "abc");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1));
        Assert.That(run.ErrorLines[0], Does.Contain("OpenCL device").And.Not.Contain("   at "));
    }

    [Test]
    public void The_library_takes_an_index_only_for_a_gpu_kind()
    {
        Assert.That(() => ComputeDevice.Open(DeviceKind.Cpu, new DeviceOpenOptions { Index = 0 }), Throws.ArgumentException.With.Message.Contains("Cuda or OpenCL"));
        Assert.That(() => ComputeDevice.Open(DeviceKind.Auto, new DeviceOpenOptions { Index = 1 }), Throws.ArgumentException);
        Assert.That(() => ComputeDevice.Open(DeviceKind.Cuda, new DeviceOpenOptions { Index = -1 }), Throws.ArgumentException.With.Message.Contains("non-negative"));
    }
}
