namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// Work of a <see cref="BenchmarkConfig"/> counted from its shape: the matrix products of a training step (FLOPs)
/// and the bytes one greedy decode step reads. Element-wise work (gates, softmax, loss, optimizer) is not counted: it
/// is a few percent of the products at these shapes and is bound by memory, not FMAs.
/// </summary>
internal static class ModelCost
{
    /// <summary>Gates of the LSTM cell the benchmarks run (input, forget, cell, output).</summary>
    public const int LstmGates = 4;

    /// <summary>
    /// Product FLOPs of one training step (forward, backward), with G = 4 gates, H hidden, L layers, B batch,
    /// T_s / T_t source / target steps, E embedding width, V_t target tokens, counting 2 FLOPs a multiply-add:
    /// <code>
    /// forward(side, T) = B·T·( in₀ + (L−1)·2·H·GH + L·2·H·GH )       GH = G·H
    ///   in₀ = 0 for one-hot inputs (layer 0's input product is a gather of a kernel row; its gradient a scatter-add)
    ///   in₀ = 2·E·GH with an embedding (the gathered embedding row times layer 0's input kernel)
    /// output = 2·B·T_t·H·V_t                                            (decoder states times the output projection)
    /// train = 3 · ( forward(encoder, T_s) + forward(decoder, T_t) + output )
    /// </code>
    /// The factor 3 is the forward product plus its two backward products (the input gradient dY·Wᵀ and the weight
    /// gradient Xᵀ·dY, each as many FLOPs as the forward one). For the LSTM-only shape (DeepBench) only the encoder
    /// side counts. keras-char (one-hot 71 / 93, H 256, B 64, 16 + 59 steps): 3 · (4,800 · 524,288 + 179,798,016)
    /// = 8,089,141,248 FLOPs. With attention add 3 · <see cref="AttentionForwardFlops"/>.
    /// </summary>
    /// <param name="config">The shape.</param>
    public static double TrainingFlops(BenchmarkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double encoder = SideForwardFlops(config, config.SourceSteps);
        if (config.LstmOnly)
        {
            return 3 * encoder;
        }

        double output = 2.0 * config.Batch * config.TargetSteps * config.Hidden * config.TargetVocab;
        return 3 * (encoder + SideForwardFlops(config, config.TargetSteps) + output + AttentionForwardFlops(config));
    }

    /// <summary>
    /// Forward product FLOPs of the decoder's attention over a training batch (zero without attention), each product
    /// again with its two backward ones (the score gradient into the queries and into the keys, the weights' gradient
    /// and the values' gradient):
    /// <code>
    /// values ē·W_c[0:H]      2·B·T_s·H·H          (over the source rows: see LuongAttention)
    /// queries h·W_c[H:2H]    2·B·T_t·H·H
    /// scores and a·v         2 · 2·B·T_t·T_s·H
    /// keys ē·W_a             2·B·T_s·H·H          (general attention only)
    /// </code>
    /// keras-char with dot attention: 134,217,728 + 494,927,872 + 61,865,984 = 691,011,584, so 3 · that = 2.07 GFLOP more
    /// than without (1.26x); general adds another 3 · 134,217,728 (1.31x).
    /// </summary>
    /// <param name="config">The shape.</param>
    public static double AttentionForwardFlops(BenchmarkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Attention == Models.AttentionKind.None || config.LstmOnly)
        {
            return 0;
        }

        double b = config.Batch, ts = config.SourceSteps, tt = config.TargetSteps, h = config.Hidden;
        double square = 2 * h * h;
        double keys = config.Attention == Models.AttentionKind.General ? b * ts * square : 0;
        return (b * ts * square) + (b * tt * square) + (2 * 2 * b * tt * ts * h) + keys;
    }

    /// <summary>
    /// Bytes one greedy decode step reads at <paramref name="batch"/> rows (4-byte floats): every decoder layer's
    /// recurrent kernel (H·GH), bias (GH) and input kernel (H·GH above layer 0; E·GH plus B embedding rows of E for an
    /// embedding; for one-hot inputs only the B gathered kernel rows of GH), and the output projection (H·V_t + V_t).
    /// keras-char at batch 1: 4 · (262,144 + 1,024 + 1,024 + 23,808 + 93) = 1,152,372 bytes. Activations (a few rows
    /// of H) are not counted. Zero for the LSTM-only shape, which does not decode. With the configuration's
    /// <see cref="BenchmarkConfig.Precision"/> BF16 the matrices of the products (the kernels, not the biases nor the
    /// gathered rows) count 2 bytes an element: keras-char at batch 1, 2 · (262,144 + 23,808) + 4 · (1,024 + 1,024 + 93)
    /// = 580,468 bytes. With attention a step also reads the query half of the combine kernel (H·H, FP32 in either
    /// precision) and every row's keys and values (2·T_s·H; for dot attention the keys are the memory itself, still read
    /// once a step).
    /// </summary>
    /// <param name="config">The shape.</param>
    /// <param name="batch">Sentences decoded together.</param>
    public static long DecodeBytesPerStep(BenchmarkConfig config, int batch)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (config.LstmOnly)
        {
            return 0;
        }

        long h = config.Hidden, gh = LstmGates * h, e = config.Embedding;
        long matrices = (config.Layers * h * gh) + (e * gh) + ((config.Layers - 1) * h * gh) + (h * config.TargetVocab);
        long others = (config.Layers * gh) + (e == 0 ? batch * gh : batch * e) + config.TargetVocab;
        if (config.Attention != Models.AttentionKind.None)
        {
            others += (h * h) + (batch * 2L * config.SourceSteps * h);
        }

        int matrixBytes = config.Precision == Numerics.WeightPrecision.Bf16 ? 2 : sizeof(float);
        return (matrices * matrixBytes) + (others * sizeof(float));
    }

    /// <summary>Forward product FLOPs of one side's stack over <paramref name="steps"/> steps (see <see cref="TrainingFlops"/>).</summary>
    private static double SideForwardFlops(BenchmarkConfig config, int steps)
    {
        double h = config.Hidden, gh = LstmGates * h;
        double input0 = config.Embedding == 0 ? 0 : 2 * config.Embedding * gh;
        double perRow = input0 + ((config.Layers - 1) * 2 * h * gh) + (config.Layers * 2 * h * gh);
        return (double)config.Batch * steps * perRow;
    }
}
