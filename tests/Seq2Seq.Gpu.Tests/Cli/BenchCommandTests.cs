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

    [TestCase("--gpu-kernels", "fastest")]
    [TestCase("--gemm", "mkl")]
    public void Bench_rejects_an_unknown_kernel_choice(string option, string value)
    {
        var run = CliRun.Of("bench", "--device", "cpu", option, value);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(value));
    }
}
