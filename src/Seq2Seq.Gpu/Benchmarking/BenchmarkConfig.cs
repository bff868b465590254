namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// A named benchmark shape, used by <c>seq2seq bench</c>, the BenchmarkDotNet suites and the PyTorch baseline alike.
/// </summary>
/// <param name="Name">Name on the command line.</param>
/// <param name="SourceVocab">Source tokens.</param>
/// <param name="TargetVocab">Target tokens.</param>
/// <param name="Embedding">Embedding width (0 = one-hot).</param>
/// <param name="Hidden">LSTM units.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="SourceSteps">Encoder steps.</param>
/// <param name="TargetSteps">Decoder steps.</param>
/// <param name="LstmOnly">True for a single LSTM layer over <see cref="SourceSteps"/> steps (no decoder), as DeepBench measures.</param>
/// <param name="Attention">The decoder's attention (none in every named configuration; <c>bench --attention</c> adds it).</param>
/// <param name="Precision">The precision the decode steps read the decoder's matrices in (FP32 in every named configuration; <c>bench --precision</c> adds BF16). Training is FP32 either way.</param>
internal sealed record BenchmarkConfig(
    string Name, int SourceVocab, int TargetVocab, int Embedding, int Hidden, int Layers, int Batch, int SourceSteps, int TargetSteps, bool LstmOnly = false,
    Models.AttentionKind Attention = Models.AttentionKind.None, Numerics.WeightPrecision Precision = Numerics.WeightPrecision.Fp32)
{
    /// <summary>The classic Keras character example: one-hot 71 / 93, hidden 256, batch 64, 16 + 59 steps.</summary>
    public static BenchmarkConfig KerasChar { get; } = new("keras-char", 71, 93, 0, 256, 1, 64, 16, 59);

    /// <summary>Word level: embedding 256, hidden 512, 2 layers, 8,000 tokens, batch 64, 20 + 20 steps.</summary>
    public static BenchmarkConfig WordMedium { get; } = new("word-medium", 8000, 8000, 256, 512, 2, 64, 20, 20);

    /// <summary>DeepBench's LSTM shape: one layer, hidden 512 (input 512), batch 64, 25 steps.</summary>
    public static BenchmarkConfig DeepBenchLstm { get; } = new("deepbench-lstm", 64, 64, 512, 512, 1, 64, 25, 1, LstmOnly: true);

    /// <summary>Every named configuration.</summary>
    public static IReadOnlyList<BenchmarkConfig> All { get; } = [KerasChar, WordMedium, DeepBenchLstm];

    /// <summary>The configuration called <paramref name="name"/>, or an <see cref="ArgumentException"/> listing the names.</summary>
    public static BenchmarkConfig Named(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown benchmark configuration '{name}'; expected one of {string.Join(", ", All.Select(c => c.Name))}");
}
