using System.Text.Json;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary><c>seq2seq bench</c>: its JSON line and the GPU kernel switches (accepted everywhere, acting on GPUs).</summary>
public sealed class BenchCommandTests
{
    [Test]
    public void Bench_json_prints_the_fields_and_names_the_kernels_that_ran()
    {
        var run = CliRun.Of("bench", "--config", "deepbench-lstm", "--device", "cpu", "--steps", "1", "--warmup", "0", "--gpu-kernels", "per-op", "--gemm", "cublas", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        using var json = JsonDocument.Parse(run.Out.Trim());
        var root = json.RootElement;
        Assert.That(root.GetProperty("config").GetString(), Is.EqualTo("deepbench-lstm"));
        Assert.That(root.GetProperty("kernels").GetString(), Does.StartWith("simd"), "the host kernels run on the CPU whatever the GPU switches say");
        Assert.That(root.GetProperty("train_step_ms").GetDouble(), Is.GreaterThan(0));
        Assert.That(root.GetProperty("peak_memory_bytes").GetInt64(), Is.GreaterThan(0));
    }

    [Test]
    public void Bench_peak_json_reports_the_machine_limits_and_the_run_against_them()
    {
        var run = CliRun.Of("bench", "--peak", "--peak-ms", "1", "--steps", "1", "--warmup", "0", "--config", "keras-char", "--device", "cpu", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        using var json = JsonDocument.Parse(run.Out.Trim());
        var root = json.RootElement;
        foreach (var field in new[]
        {
            "train_gflop", "train_gflops", "peak_gflops", "peak_gflops_1t", "train_fraction_of_peak", "bandwidth_l2_gbs",
            "bandwidth_l3_gbs", "bandwidth_dram_gbs", "decode_bytes_per_step", "decode_floor_us_b1", "decode_b1_over_floor", "peak_threads",
            "product_gflops", "product_fraction_of_peak",
        })
        {
            Assert.That(root.GetProperty(field).GetDouble(), Is.GreaterThan(0), field);
        }

        Assert.That(root.GetProperty("decode_level").GetString(), Is.AnyOf("l2", "l3", "dram"));
        Assert.That(root.GetProperty("product_shape").GetString(), Is.EqualTo("3776x256x1024"), "the largest product: 64 · 59 target rows × H × 4H");
    }

    [TestCase("--gpu-kernels", "fastest")]
    [TestCase("--gemm", "mkl")]
    public void Bench_rejects_an_unknown_kernel_choice(string option, string value)
    {
        var run = CliRun.Of("bench", "--device", "cpu", option, value);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(value));
    }
}
