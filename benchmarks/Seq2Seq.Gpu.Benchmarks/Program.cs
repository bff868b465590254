using BenchmarkDotNet.Running;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Seq2Seq.Gpu.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected on the command line.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
