using System.Text.Json;
using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Benchmarking;

/// <summary>The benchmark runner on tiny shapes: it runs every measurement and reports every field (timings are not asserted).</summary>
public sealed class BenchmarkRunnerTests
{
    [Test]
    public void A_seq2seq_configuration_reports_every_field()
    {
        var tiny = new BenchmarkConfig("tiny", 12, 14, 0, 8, 2, 4, 3, 5);

        var result = BenchmarkRunner.Run(TestDevices.Cpu(), tiny, steps: 1, warmup: 0);

        Assert.That(result.Config, Is.EqualTo("tiny"));
        Assert.That(result.TrainStepMs, Is.GreaterThan(0));
        Assert.That(result.ForwardMs, Is.GreaterThan(0));
        Assert.That(result.TrainTokensPerSecond, Is.GreaterThan(0));
        Assert.That(result.DecodeStepUsBatch1, Is.GreaterThan(0));
        Assert.That(result.DecodeStepUsBatch64, Is.GreaterThan(0));
        Assert.That(result.Beam5StepUsBatch1, Is.GreaterThan(0));
        Assert.That(result.Beam5StepUsBatch64, Is.GreaterThan(0));
        Assert.That(result.PeakMemoryBytes, Is.GreaterThan(0));
        var json = JsonDocument.Parse(JsonSerializer.Serialize(result)).RootElement;
        foreach (var field in new[] { "config", "device", "train_step_ms", "train_tokens_per_s", "decode_step_us_b1", "decode_step_us_b64", "peak_memory_bytes" })
        {
            Assert.That(json.TryGetProperty(field, out _), Is.True, field);
        }
    }

    [Test]
    public void A_warm_up_lasts_its_count_and_at_least_the_minimum_time_and_none_means_none()
    {
        var calls = new List<long>();
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        BenchmarkRunner.Median(3, 2, () => calls.Add(System.Diagnostics.Stopwatch.GetTimestamp()));

        // The first timed run (the third from the end) starts after the warm-up: at least 2 runs, and at least the
        // minimum time after the call began (a bound that holds whatever the machine's load).
        Assert.That(calls.Count - 3, Is.GreaterThanOrEqualTo(2));
        Assert.That(System.Diagnostics.Stopwatch.GetElapsedTime(before, calls[^3]), Is.GreaterThanOrEqualTo(BenchmarkRunner.MinimumWarmup));

        calls.Clear();
        BenchmarkRunner.Median(3, 0, () => calls.Add(System.Diagnostics.Stopwatch.GetTimestamp()));
        Assert.That(calls, Has.Count.EqualTo(3), "--warmup 0: the timed runs only");
    }

    [Test]
    public void The_lstm_only_configuration_measures_forward_and_backward()
    {
        var tiny = new BenchmarkConfig("tiny-lstm", 10, 10, 6, 5, 1, 3, 4, 1, LstmOnly: true);

        var result = BenchmarkRunner.Run(TestDevices.Cpu(), tiny, steps: 1, warmup: 0);

        Assert.That(result.ForwardMs, Is.GreaterThan(0));
        Assert.That(result.TrainStepMs, Is.GreaterThan(0));
        Assert.That(result.DecodeStepUsBatch1, Is.Null);
    }

    [Test]
    public void Named_configurations_have_the_issue_shapes()
    {
        Assert.That(BenchmarkConfig.Named("keras-char"), Is.EqualTo(new BenchmarkConfig("keras-char", 71, 93, 0, 256, 1, 64, 16, 59)));
        Assert.That(BenchmarkConfig.Named("word-medium").TargetVocab, Is.EqualTo(8000));
        Assert.That(BenchmarkConfig.Named("deepbench-lstm").SourceSteps, Is.EqualTo(25));
        Assert.That(() => BenchmarkConfig.Named("nope"), Throws.ArgumentException.With.Message.Contains("keras-char"));
    }
}
