using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>Short jobs (the CPU accelerator is slow) with the GFLOP/s column.</summary>
public sealed class KernelBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public KernelBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(8));
        AddColumn(new GflopsColumn());
    }
}
