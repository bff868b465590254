using System.Globalization;
using System.Text.Json;
using Seq2Seq.Cli;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// The <c>seq2seq</c> command line run in-process on the CPU accelerator with tiny models: one training run is
/// shared by the tests that read its files.
/// </summary>
public sealed class CliTests
{
    private const int Pairs = 40;

    /// <summary>The lines <c>translate</c> decodes together (greedy): the decoder's default batch.</summary>
    private static readonly int TranslateBatch = new DecodingOptions().MaxBatch;
    private string directory = string.Empty;
    private string corpus = string.Empty;
    private string model = string.Empty;
    private CliRun training = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        directory = Directory.CreateTempSubdirectory("seq2seq-cli-").FullName;
        corpus = Path.Combine(directory, "reverse.txt");
        File.WriteAllLines(corpus, ReversalPairs(Pairs));
        model = Path.Combine(directory, "m.s2s");
        training = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "2", "--out", model));
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void Devices_lists_the_cpu_accelerator_and_the_auto_choice()
    {
        var run = CliRun.Of("devices");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("Cpu"));
        Assert.That(run.Out, Does.Contain("auto: "));
        Assert.That(run.Error, Is.Empty);
    }

    [Test]
    public void Train_writes_the_model_the_last_checkpoint_the_metrics_and_the_curves()
    {
        Assert.That(training.ExitCode, Is.Zero, training.ToString());
        Assert.That(training.Out, Does.Contain("epoch 1/2  loss "));
        Assert.That(training.Out, Does.Contain("epoch 2/2  loss "));
        Assert.That(training.Out, Does.Contain("val_loss "));
        Assert.That(training.Out, Does.Contain("32 train, 8 validation"));
        foreach (string path in new[] { model, Path.Combine(directory, "m.last.s2s"), Path.Combine(directory, "m.metrics.csv"), Path.Combine(directory, "m.curves.svg") })
        {
            Assert.That(File.Exists(path), Is.True, path);
            Assert.That(training.Out, Does.Contain(path));
        }

        Assert.That(MetricsLog.Read(Path.Combine(directory, "m.metrics.csv")).Select(e => e.Epoch), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void Eval_json_prints_one_parseable_object_with_the_metrics()
    {
        var run = CliRun.Of("eval", "--model", model, "--data", corpus, "--device", "cpu", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line of output");
        using var json = JsonDocument.Parse(run.Out);
        JsonElement root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("pairs").GetInt32(), Is.EqualTo(Pairs));
            Assert.That(root.GetProperty("tokens").GetInt64(), Is.GreaterThan(Pairs));
            Assert.That(root.GetProperty("loss").GetDouble(), Is.GreaterThan(0).And.LessThan(10));
            Assert.That(root.GetProperty("accuracy").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("exact_match").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("chrf").GetDouble(), Is.InRange(0.0, 100.0));
            Assert.That(root.GetProperty("bleu").GetDouble(), Is.InRange(0.0, 100.0));
            Assert.That(root.GetProperty("beam").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public void Translate_takes_arguments_or_a_pipe_and_prints_one_line_per_input()
    {
        var args = CliRun.Of("translate", "--model", model, "--device", "cpu", "abc", "ba");
        var piped = CliRun.WithInput("abc\nba\n", CancellationToken.None, "translate", "--model", model, "--device", "cpu");
        var nbest = CliRun.Of("translate", "--model", model, "--device", "cpu", "--beam", "3", "--nbest", "2", "abc");

        Assert.That(args.ExitCode, Is.Zero, args.ToString());
        Assert.That(args.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));
        Assert.That(piped.ExitCode, Is.Zero, piped.ToString());
        Assert.That(piped.Out, Is.EqualTo(args.Out), "a pipe gives what arguments give");
        Assert.That(nbest.ExitCode, Is.Zero, nbest.ToString());
        var lines = nbest.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines.Select(l => double.Parse(l.Split('\t')[0], CultureInfo.InvariantCulture)), Is.Ordered.Descending);
    }

    [Test]
    public void Translate_reads_a_pipe_in_batches_and_writes_what_line_at_a_time_translation_gives_in_order()
    {
        // More lines than a batch, with empty ones among them, so that several batches form whatever arrives when.
        var inputs = Enumerable.Range(0, TranslateBatch * 2 + 7).Select(i => i % 9 == 4 ? string.Empty : new string((char)('a' + (i % 5)), 1 + (i % 4)) + "ba"[i % 2]).ToList();
        var greedy = CliRun.WithInput(string.Join('\n', inputs) + "\n", CancellationToken.None, "translate", "--model", model, "--device", "cpu");
        var beam = CliRun.WithInput(string.Join('\n', inputs.Take(12)) + "\n", CancellationToken.None, "translate", "--model", model, "--device", "cpu", "--beam", "3", "--nbest", "2");

        using var device = ComputeDevice.Open(DeviceKind.Cpu); // as --device cpu opens it
        using var loaded = ModelCheckpoint.Load(device, model).Model;
        using var translator = loaded.CreateTranslator();
        using var beamTranslator = loaded.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 2 });
        var expected = inputs.Select(line => translator.Translate(line)).ToList();
        var expectedBeam = inputs.Take(12).SelectMany(line => beamTranslator.TranslateNBest(line, 2))
            .Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Score:0.0000}\t{loaded.Text.DecodeTarget(h.Tokens)}")).ToList();

        Assert.That(greedy.ExitCode, Is.Zero, greedy.ToString());
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(3), "the inputs' translations differ, so an order mix-up shows");
        Assert.That(greedy.Out.Split('\n')[..^1], Is.EqualTo(expected), "one line an input line, in input order");
        Assert.That(expected.Where((_, i) => inputs[i].Length == 0), Is.All.Empty, "an empty line gives an empty line");
        Assert.That(beam.ExitCode, Is.Zero, beam.ToString());
        Assert.That(beam.Out.Split('\n')[..^1], Is.EqualTo(expectedBeam));
    }

    [Test]
    public void Translate_rejects_an_nbest_wider_than_the_beam_and_a_missing_model()
    {
        var wide = CliRun.Of("translate", "--model", model, "--beam", "2", "--nbest", "3", "x");
        Assert.That(wide.ExitCode, Is.EqualTo(2), wide.ToString());
        AssertOneErrorLine(wide, "--nbest");

        var missing = CliRun.Of("translate", "--model", Path.Combine(directory, "nope.s2s"), "--device", "cpu", "x");
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        AssertOneErrorLine(missing, "nope.s2s");
    }

    [Test]
    public void Demo_trains_on_the_embedded_sample_and_translates_with_attribution()
    {
        var run = CliRun.Of("demo", "--device", "cpu", "--samples", "200", "--epochs", "1", "--hidden", "16");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("tatoeba.org"));
        Assert.That(run.Out, Does.Contain("held-out"));
        Assert.That(run.Out, Does.Contain("(reference: "));
        Assert.That(run.Out, Does.Contain("exact match"));
    }

    [Test]
    public void Eval_of_the_validation_pairs_reproduces_the_last_validation_loss()
    {
        var run = CliRun.Of("eval", "--model", model, "--data", corpus, "--skip", "32", "--device", "cpu", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        EpochMetrics last = MetricsLog.Read(Path.Combine(directory, "m.metrics.csv"))[^1];
        using var json = JsonDocument.Parse(run.Out);
        Assert.That(json.RootElement.GetProperty("pairs").GetInt32(), Is.EqualTo(8));
        Assert.That(json.RootElement.GetProperty("loss").GetDouble(), Is.EqualTo(last.ValidationLoss!.Value).Within(1e-9));
        Assert.That(json.RootElement.GetProperty("accuracy").GetDouble(), Is.EqualTo(last.ValidationAccuracy!.Value).Within(1e-12));
    }

    [Test]
    public void Eval_prints_a_human_summary_without_json()
    {
        var run = CliRun.Of("eval", "--model", model, "--data", corpus, "--device", "cpu", "--samples", "10");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("device: "));
        Assert.That(run.Out, Does.Contain("loss ").And.Contain("accuracy ").And.Contain("of 10 pairs"));
    }

    [Test]
    public void Keras_compatible_training_and_eval_pad_the_same_way()
    {
        string keras = Path.Combine(directory, "keras.s2s");
        var train = CliRun.Of(Tiny("train", "--data", corpus, "--keras-compat", "--epochs", "1", "--out", keras));
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        Assert.That(train.Out, Does.Contain("one-hot inputs").And.Contain("Keras-compatible"));

        var run = CliRun.Of("eval", "--model", keras, "--data", corpus, "--skip", "32", "--device", "cpu", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        EpochMetrics last = MetricsLog.Read(Path.Combine(directory, "keras.metrics.csv"))[^1];
        using var json = JsonDocument.Parse(run.Out);
        Assert.That(json.RootElement.GetProperty("loss").GetDouble(), Is.EqualTo(last.ValidationLoss!.Value).Within(1e-9));
        Assert.That(json.RootElement.GetProperty("tokens").GetInt64() % 8, Is.Zero, "every pair counts all its padded steps");
    }

    [Test]
    public void A_gru_trains_saves_its_cell_translates_and_evaluates()
    {
        string gru = Path.Combine(directory, "gru.s2s");
        var train = CliRun.Of(Tiny("train", "--data", corpus, "--cell", "gru", "--epochs", "1", "--out", gru));
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        Assert.That(train.Out, Does.Contain("GRU hidden 8"));
        Assert.That(SafeTensorsFile.Read(gru).Metadata["config"], Does.Contain("\"cell\":\"gru\""));
        Assert.That(SafeTensorsFile.Read(gru).Tensors.Select(t => t.Name), Does.Contain("decoder.gru.0.recurrent_kernel"));

        var translate = CliRun.Of("translate", "--model", gru, "--device", "cpu", "abc", "cab");
        var eval = CliRun.Of("eval", "--model", gru, "--data", corpus, "--skip", "32", "--device", "cpu", "--json");
        var resume = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--cell", "lstm", "--epochs", "2", "--resume", Path.Combine(directory, "gru.last.s2s"), "--out", Path.Combine(directory, "x.s2s"));

        Assert.That(translate.ExitCode, Is.Zero, translate.ToString());
        Assert.That(translate.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));
        Assert.That(eval.ExitCode, Is.Zero, eval.ToString());
        using var json = JsonDocument.Parse(eval.Out);
        Assert.That(json.RootElement.GetProperty("loss").GetDouble(), Is.Positive);
        Assert.That(resume.ExitCode, Is.EqualTo(2), "the cell comes from the checkpoint: " + resume);
        AssertOneErrorLine(resume, "--cell");
    }

    [Test]
    public void Training_says_how_its_batches_are_cut_and_how_much_of_them_is_padding()
    {
        Assert.That(training.Out, Does.Match(@"batches: bucketed by length \(windows of 100\), \d+ an epoch; [\d.]+ % of the positions computed are tokens"));

        var slices = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--batching", "slices", "--batch-tokens", "40", "--out", Path.Combine(directory, "slices.s2s")));

        Assert.That(slices.ExitCode, Is.Zero, slices.ToString());
        Assert.That(slices.Out, Does.Contain("batches: slices, at most 40 padded positions, "));
    }

    [Test]
    public void A_bidirectional_encoder_trains_saves_translates_and_cannot_be_changed_on_resume()
    {
        string bi = Path.Combine(directory, "bi.s2s");
        var train = CliRun.Of(Tiny("train", "--data", corpus, "--bidirectional", "--layers", "2", "--epochs", "1", "--out", bi));
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        Assert.That(train.Out, Does.Contain("LSTM hidden 8 (bidirectional encoder), 2 layers"));
        Assert.That(SafeTensorsFile.Read(bi).Metadata["config"], Does.Contain("\"bidirectional\":true"));
        Assert.That(SafeTensorsFile.Read(bi).Tensors.Select(t => t.Name), Does.Contain("encoder.lstm.1.reverse.kernel"));

        var translate = CliRun.Of("translate", "--model", bi, "--device", "cpu", "abc", "cab");
        var resume = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--bidirectional", "--epochs", "2", "--resume", Path.Combine(directory, "bi.last.s2s"), "--out", Path.Combine(directory, "x.s2s"));
        var odd = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--bidirectional", "--hidden", "7", "--out", Path.Combine(directory, "odd.s2s"));

        Assert.That(translate.ExitCode, Is.Zero, translate.ToString());
        Assert.That(translate.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));
        Assert.That(resume.ExitCode, Is.EqualTo(2), "the encoder's directions come from the checkpoint: " + resume);
        AssertOneErrorLine(resume, "--bidirectional");
        Assert.That(odd.ExitCode, Is.EqualTo(2), odd.ToString());
        AssertOneErrorLine(odd, "--bidirectional");
        Assert.That(odd.ErrorLines[0], Does.Contain("7 is odd"));
        Assert.That(File.Exists(Path.Combine(directory, "odd.s2s")), Is.False);
    }

    [Test]
    public void An_attention_model_trains_saves_shows_its_alignment_and_keeps_its_attention_on_resume()
    {
        string attended = Path.Combine(directory, "attention.s2s");
        var train = CliRun.Of(Tiny("train", "--data", corpus, "--attention", "general", "--epochs", "1", "--out", attended));
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        Assert.That(train.Out, Does.Contain("1 layer, general attention"));
        Assert.That(SafeTensorsFile.Read(attended).Metadata["config"], Does.Contain("\"attention\":\"general\""));

        var translate = CliRun.Of("translate", "--model", attended, "--device", "cpu", "--show-attention", "--max-length", "4", "abc");
        Assert.That(translate.ExitCode, Is.Zero, translate.ToString());
        var lines = translate.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "a", "b", "c" }), "the grid's header is the source tokens");
        Assert.That(lines.Skip(2).Count(l => l.Contains('*')), Is.EqualTo(lines.Length - 2), "every target row marks its largest weight");

        string last = Path.Combine(directory, "attention.last.s2s");
        var contradicting = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--attention", "dot", "--epochs", "2", "--resume", last, "--out", Path.Combine(directory, "y.s2s"));
        var onPlain = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--attention", "dot", "--epochs", "3", "--resume", Path.Combine(directory, "m.last.s2s"), "--out", Path.Combine(directory, "y.s2s"));
        var gridOfPlain = CliRun.Of("translate", "--model", model, "--device", "cpu", "--show-attention", "abc");
        var same = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--attention", "general", "--epochs", "2", "--resume", last, "--out", Path.Combine(directory, "z.s2s"));

        Assert.That(contradicting.ExitCode, Is.EqualTo(2), contradicting.ToString());
        AssertOneErrorLine(contradicting, "--attention dot contradicts checkpoint '" + last + "', whose model has general attention");
        Assert.That(onPlain.ExitCode, Is.EqualTo(2), onPlain.ToString());
        AssertOneErrorLine(onPlain, "whose model has no attention");
        Assert.That(gridOfPlain.ExitCode, Is.EqualTo(2), gridOfPlain.ToString());
        AssertOneErrorLine(gridOfPlain, "--show-attention: the model in '" + model + "' has no attention");
        Assert.That(same.ExitCode, Is.Zero, "the checkpoint's own attention may be given again: " + same);
        Assert.That(File.Exists(Path.Combine(directory, "y.s2s")), Is.False);
    }

    [Test]
    public void Resume_trains_until_the_requested_total_of_epochs()
    {
        string resumed = Path.Combine(directory, "resumed.s2s");
        var run = CliRun.Of("train", "--data", corpus, "--batch", "8", "--epochs", "3", "--device", "cpu", "--resume", Path.Combine(directory, "m.last.s2s"), "--out", resumed);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("resuming: "));
        Assert.That(run.Out, Does.Not.Contain("epoch 2/3"));
        Assert.That(run.Out, Does.Contain("epoch 3/3"));
        Assert.That(MetricsLog.Read(Path.Combine(directory, "resumed.metrics.csv")).Select(e => e.Epoch), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public void A_missing_data_file_is_one_error_line_and_exit_code_1()
    {
        string missing = Path.Combine(directory, "absent.txt");
        var run = CliRun.Of(Tiny("train", "--data", missing, "--out", Path.Combine(directory, "x.s2s")));

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        AssertOneErrorLine(run, missing);
    }

    [Test]
    public void An_unreadable_checkpoint_is_one_error_line_and_exit_code_1()
    {
        var run = CliRun.Of("eval", "--model", corpus, "--data", corpus, "--device", "cpu");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        AssertOneErrorLine(run, "checkpoint");
    }

    [Test]
    public void Translate_stops_quietly_when_standard_output_is_closed()
    {
        var stdin = new LineCountingReader("abc", 1000);
        using var stdout = new ClosingWriter(linesBeforeClose: 1);
        using var stderr = new StringWriter();

        int code = CliApp.Run(["translate", "--model", model, "--device", "cpu"], stdout, stderr, interactive: false, stdin);

        Assert.That(code, Is.Zero, stderr.ToString());
        Assert.That(stderr.ToString(), Is.Empty);
        Assert.That(stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
        Assert.That(stdout.FailedWrites, Is.EqualTo(1), "nothing is written after the first failure");
        Assert.That(stdin.LinesRead, Is.InRange(1, 1 + TranslateBatch), "input stops being read when the output is gone: at most one batch beyond the one line written");
    }

    [Test]
    public void Another_output_error_than_a_broken_pipe_is_still_an_error()
    {
        const int NoSpaceLeftOnDevice = 28; // ENOSPC: output lost to a full disk must not pass for success
        var stdin = new LineCountingReader("abc", 1000);
        using var stdout = new ClosingWriter(linesBeforeClose: 1, hresult: NoSpaceLeftOnDevice);
        using var stderr = new StringWriter();

        int code = CliApp.Run(["translate", "--model", model, "--device", "cpu"], stdout, stderr, interactive: false, stdin);

        Assert.That(code, Is.EqualTo(1), stderr.ToString());
        Assert.That(stderr.ToString(), Does.StartWith(CliApp.ErrorPrefix));
        Assert.That(stdin.LinesRead, Is.InRange(1, 1 + TranslateBatch));
    }

    [Test]
    public void Translate_in_a_real_pipe_ends_when_head_has_its_line()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "seq2seq");
        if (OperatingSystem.IsWindows() || !File.Exists(program) || !File.Exists("/bin/bash"))
        {
            Assert.Ignore("needs bash and the seq2seq program beside the tests");
        }

        // 'yes' never ends: translate must notice that head has gone, or the pipeline runs until the timeout. ('yes' itself
        // reports the broken pipe once translate has gone: the test host's ignored SIGPIPE is inherited.)
        string script = $"yes abc 2>/dev/null | '{program}' translate --model '{model}' --device cpu | head -1; echo \"translate exit ${{PIPESTATUS[1]}}\" >&2";
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("translate kept running after head exited");
        }

        Assert.That(output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
        Assert.That(error.Result.Trim(), Is.EqualTo("translate exit 0"), "no error output, exit code 0");
    }

    [Test]
    public void Output_redirected_to_a_file_keeps_its_place_among_what_else_is_written_there()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "seq2seq");
        if (OperatingSystem.IsWindows() || !File.Exists(program) || !File.Exists("/bin/bash"))
        {
            Assert.Ignore("needs bash and the seq2seq program beside the tests");
        }

        // Two commands and the shell write one file through one descriptor: each must write at the shared offset, or a
        // later write lands on top of an earlier one.
        string file = Path.Combine(directory, "redirected.txt");
        string script = $"{{ echo first; '{program}' translate --model '{model}' --device cpu abc; '{program}' translate --model '{model}' --device cpu abc; echo last; }} > '{file}'";
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/bash", ["-c", script]) { RedirectStandardError = true })!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromSeconds(120)), Is.True, "the commands ended");
        Assert.That(process.ExitCode, Is.Zero, error.Result);

        string[] lines = File.ReadAllLines(file);
        Assert.That(lines, Has.Length.EqualTo(4), string.Join('\n', lines));
        Assert.That(lines[0], Is.EqualTo("first"));
        Assert.That(lines[1], Is.Not.Empty.And.EqualTo(lines[2]), "the same translation twice, one after the other");
        Assert.That(lines[3], Is.EqualTo("last"));
    }

    [Test]
    public void A_bad_corpus_line_points_to_the_command_line_flag()
    {
        string bad = Path.Combine(directory, "bad.txt");
        File.WriteAllLines(bad, ["a\tb", "no tab here", "c\td"]);

        var run = CliRun.Of("eval", "--model", model, "--data", bad, "--device", "cpu");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        AssertOneErrorLine(run, "--skip-bad-lines");
        Assert.That(run.ErrorLines[0], Does.Contain("bad.txt:2"));
    }

    [Test]
    public void A_folder_given_as_the_corpus_or_the_model_is_named_as_a_folder()
    {
        var data = CliRun.Of(Tiny("train", "--data", directory, "--out", Path.Combine(directory, "x.s2s")));
        var translate = CliRun.Of("translate", "--model", directory, "--device", "cpu", "x");
        var resume = CliRun.Of("train", "--data", corpus, "--device", "cpu", "--resume", directory, "--out", Path.Combine(directory, "x.s2s"));

        Assert.That(data.ExitCode, Is.EqualTo(1), data.ToString());
        AssertOneErrorLine(data, $"'{directory}' is a folder, not a corpus file");
        Assert.That(translate.ExitCode, Is.EqualTo(1), translate.ToString());
        AssertOneErrorLine(translate, $"'{directory}' is a folder, not a checkpoint file");
        Assert.That(resume.ExitCode, Is.EqualTo(1), resume.ToString());
        AssertOneErrorLine(resume, $"'{directory}' is a folder, not a checkpoint file");
    }

    [Test]
    public void A_missing_corpus_or_model_says_no_such_file_with_the_path()
    {
        string absent = Path.Combine(directory, "absent.txt");
        var data = CliRun.Of("eval", "--model", model, "--data", absent, "--device", "cpu");
        var translate = CliRun.Of("translate", "--model", absent, "--device", "cpu", "x");

        AssertOneErrorLine(data, "no such file");
        AssertOneErrorLine(data, absent);
        AssertOneErrorLine(translate, "no such file");
        AssertOneErrorLine(translate, absent);
    }

    [TestCase("--keras-compat", "--level", "word")]
    [TestCase("--bogus")]
    [TestCase("--epochs", "0")]
    [TestCase("--val-split", "1")]
    [TestCase("--level", "byte")]
    [TestCase("--batch-tokens", "0")]
    [TestCase("--batching", "random")]
    [TestCase("--bucket-window", "0")]
    public void Bad_train_arguments_are_usage_errors(params string[] extra)
    {
        var run = CliRun.Of(["train", "--data", corpus, "--out", Path.Combine(directory, "x.s2s"), .. extra]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, string.Empty);
        Assert.That(File.Exists(Path.Combine(directory, "x.s2s")), Is.False);
    }

    [TestCase("1")]
    [TestCase("-0.1")]
    [TestCase("1.5")]
    public void A_dropout_outside_zero_to_one_is_a_usage_error(string rate)
    {
        var run = CliRun.Of(["train", "--data", corpus, "--out", Path.Combine(directory, "x.s2s"), "--dropout", rate]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, "--dropout must be in [0, 1)");
        Assert.That(File.Exists(Path.Combine(directory, "x.s2s")), Is.False);
    }

    [Test]
    public void A_run_with_dropout_resumes_with_its_rate_and_refuses_another()
    {
        string first = Path.Combine(directory, "dropout.s2s");
        var run = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "1", "--layers", "2", "--dropout", "0.3", "--out", first));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain(", dropout 0.3"));

        string last = Path.Combine(directory, "dropout.last.s2s");
        var other = CliRun.Of("train", "--data", corpus, "--epochs", "2", "--device", "cpu", "--dropout", "0.5", "--resume", last, "--out", Path.Combine(directory, "dropout2.s2s"));
        Assert.That(other.ExitCode, Is.EqualTo(2), other.ToString());
        AssertOneErrorLine(other, "--dropout 0.5 differs from the checkpoint's dropout (0.3)");

        var kept = CliRun.Of("train", "--data", corpus, "--epochs", "2", "--batch", "8", "--device", "cpu", "--resume", last, "--out", Path.Combine(directory, "dropout3.s2s"));
        Assert.That(kept.ExitCode, Is.Zero, kept.ToString());
        Assert.That(kept.Out, Does.Contain(", dropout 0.3"), "the checkpoint's rate is kept");

        var same = CliRun.Of("train", "--data", corpus, "--epochs", "2", "--batch", "8", "--device", "cpu", "--dropout", "0.3", "--resume", last, "--out", Path.Combine(directory, "dropout4.s2s"));
        Assert.That(same.ExitCode, Is.Zero, same.ToString());
        using var keptModel = ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "dropout3.last.s2s")).Model;
        using var sameModel = ModelCheckpoint.Load(TestDevices.Cpu(), Path.Combine(directory, "dropout4.last.s2s")).Model;
        Assert.That(sameModel.Weights.Weights.ToArray(), Is.EqualTo(keptModel.Weights.Weights.ToArray()), "the same rate given again is the same run");
    }

    [Test]
    public void Model_shape_options_cannot_be_combined_with_resume()
    {
        var run = CliRun.Of(Tiny("train", "--data", corpus, "--epochs", "3", "--resume", Path.Combine(directory, "m.last.s2s"), "--out", Path.Combine(directory, "x.s2s")));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, "--resume");
    }

    [Test]
    public void A_cancelled_run_stops_with_exit_code_130_and_saves_nothing()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        string path = Path.Combine(directory, "cancelled.s2s");

        var run = CliRun.Of(cancelled.Token, Tiny("train", "--data", corpus, "--out", path));

        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        Assert.That(run.Error, Does.Contain("cancelled"));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void Help_goes_to_standard_output_with_exit_code_0()
    {
        var run = CliRun.Of("train", "--help");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("--keras-compat").And.Contain("--resume"));
    }

    private static string[] Tiny(params string[] args) =>
        [.. args, "--hidden", "8", "--embedding", args.Contains("--keras-compat") ? "0" : "4", "--batch", "8", "--device", "cpu"];

    private static IEnumerable<string> ReversalPairs(int count)
    {
        var random = new Random(7);
        for (int i = 0; i < count; i++)
        {
            string source = new(Enumerable.Range(0, random.Next(1, 6)).Select(_ => "abcdef"[random.Next(6)]).ToArray());
            yield return string.Create(CultureInfo.InvariantCulture, $"{source}\t{new string(source.Reverse().ToArray())}");
        }
    }

    private static void AssertOneErrorLine(CliRun run, string mentions)
    {
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1), run.ToString());
        Assert.That(run.ErrorLines[0], Does.StartWith("seq2seq: error: "));
        Assert.That(run.ErrorLines[0], Does.Contain(mentions));
        Assert.That(run.Error, Does.Not.Contain("   at "), "no stack trace");
    }
}
