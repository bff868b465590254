using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// The quick end-to-end measurement behind <c>seq2seq bench</c>: a model of a named shape on synthetic data (every
/// sequence full length, so nothing is padded), warm-up repetitions, then timed ones; medians are reported. Every
/// timed region ends with the device synchronised.
/// </summary>
internal static class BenchmarkRunner
{
    /// <summary>Shortest warm-up of a measurement, unless none is asked for (see <see cref="Median"/>).</summary>
    internal static readonly TimeSpan MinimumWarmup = TimeSpan.FromMilliseconds(300);

    /// <summary>Runs a configuration on a device.</summary>
    /// <param name="device">The device.</param>
    /// <param name="config">The shape.</param>
    /// <param name="steps">Timed repetitions of each measurement (the warm-up and timed runs of the beam measurement use the same rows).</param>
    /// <param name="warmup">Untimed repetitions first.</param>
    /// <param name="peaks">This machine's measured limits, to report the run against (<see cref="PeakComparison"/>); null: the counted work only.</param>
    public static BenchmarkResult Run(ComputeDevice device, BenchmarkConfig config, int steps = 10, int warmup = 2, MachinePeaks? peaks = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        device.ResetPeakMemory();
        var text = SyntheticText(config);
        BenchmarkResult result;
        using (var model = Seq2SeqModel.Create(device, text, new Seq2SeqConfig(config.SourceVocab, config.TargetVocab, config.Embedding, config.Hidden, config.Layers, Attention: config.Attention), seed: 1))
        {
            result = config.LstmOnly ? RunLstm(model, config, steps, warmup) : RunSeq2Seq(model, config, steps, warmup);
            result = result with { PeakMemoryBytes = device.PeakAllocatedBytes };
        }

        var (shape, productSeconds) = LargestProduct(device, config, steps, warmup);
        result = result with
        {
            ProductShape = $"{shape.M}x{shape.K}x{shape.N}",
            ProductGflops = 2.0 * shape.M * shape.K * shape.N / productSeconds / 1e9,
        };
        return PeakComparison.Apply(result, config, peaks);
    }

    /// <summary>
    /// The median time of the training step's largest product run alone, in FP32 as training runs: the larger of the
    /// gates' shape <c>C[B·T, 4H] = A[B·T, H]·B[H, 4H]</c> for the longer side's T and the output projection
    /// <c>C[B·T_t, V_t] = A[B·T_t, H]·B[H, V_t]</c> (a word vocabulary's is the larger). Measured after the model is
    /// disposed of, so that its buffers neither count in the model's peak memory nor sit beside these.
    /// </summary>
    private static (MatMulShape Shape, double Seconds) LargestProduct(ComputeDevice device, BenchmarkConfig config, int steps, int warmup)
    {
        int rows = config.Batch * Math.Max(config.SourceSteps, config.LstmOnly ? 0 : config.TargetSteps);
        int depth = config.Hidden, columns = 4 * config.Hidden;
        if (!config.LstmOnly && (long)config.Batch * config.TargetSteps * config.TargetVocab > (long)rows * columns)
        {
            rows = config.Batch * config.TargetSteps;
            columns = config.TargetVocab;
        }

        var random = new DeterministicRandom(5);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextUniform(-1, 1)).ToArray();
        using var a = device.Upload<float>(Values(rows * depth), "largest product A");
        using var b = device.Upload<float>(Values(depth * columns), "largest product B");
        using var c = device.Allocate<float>((long)rows * columns, "largest product C");
        var shape = new MatMulShape(rows, columns, depth);
        double seconds = Median(steps, warmup, () =>
        {
            device.Ops.MatMul(a.View, b.View, null, c.View, shape);
            device.Synchronize();
        });
        return (shape, seconds);
    }

    private static BenchmarkResult RunSeq2Seq(Seq2SeqModel model, BenchmarkConfig config, int steps, int warmup)
    {
        var device = model.Device;
        var (sources, batch) = SyntheticBatch(model.Text, config);

        using var trainer = new Trainer(model, new TrainerOptions { BatchSize = config.Batch });
        double train = Median(steps, warmup, () =>
        {
            trainer.TrainBatch(batch);
            device.Synchronize();
        });
        double forward = Median(steps, warmup, () => trainer.EvaluateBatch(batch));

        // The decode steps read the decoder's matrices in the configuration's precision (converted once, here).
        using var weights = new DecodeWeights(model, config.Precision);
        using var session1 = new DecoderSession(model, 1, config.SourceSteps, weights);
        using var session64 = new DecoderSession(model, config.Batch, config.SourceSteps, weights);
        double b1 = DecodeStep(session1, Batch.Create(model.Text, sources.Take(1).ToList()), config.TargetSteps, steps, warmup);
        double b64 = DecodeStep(session64, Batch.Create(model.Text, sources), config.TargetSteps, steps, warmup);
        double beam1 = BeamStep(model, weights, sources.Take(1).ToList(), config.TargetSteps, steps, warmup);
        double beam64 = BeamStep(model, weights, sources, config.TargetSteps, steps, warmup);

        return new BenchmarkResult
        {
            Config = config.Name,
            Device = device.Info.ToString(),
            Kernels = device.Ops.Backend,
            Precision = config.Precision.Name(),
            TrainStepMs = train * 1e3,
            ForwardMs = forward * 1e3,
            TrainTokensPerSecond = (double)config.Batch * (config.SourceSteps + config.TargetSteps) / train,
            DecodeStepUsBatch1 = b1 * 1e6,
            DecodeStepUsBatch64 = b64 * 1e6,
            Beam5StepUsBatch1 = beam1 * 1e6,
            Beam5StepUsBatch64 = beam64 * 1e6,
            Steps = steps,
        };
    }

    private static BenchmarkResult RunLstm(Seq2SeqModel model, BenchmarkConfig config, int steps, int warmup)
    {
        var device = model.Device;
        int b = config.Batch, t = config.SourceSteps, h = config.Hidden;
        var encoder = Seq2SeqArchitecture.For(model.Config).Encoder;
        var stack = new RecurrentStack(model.Weights, encoder);
        using var buffers = new RecurrentStackBuffers(device, encoder, h, t, b);
        using var scratch = new BackwardScratch(device, (long)t * b, stack.Cell.GateCount * h, Math.Max(h, config.Embedding), stack.Cell.KeepsRecurrentGates);
        var random = new DeterministicRandom(3);
        using var ids = device.Upload<int>(RandomIds(random, t * b, config.SourceVocab), "ids");
        using var dTop = device.Upload<float>(Enumerable.Range(0, t * b * h).Select(_ => (float)random.NextUniform(-1, 1)).ToArray(), "output gradient");
        using var dh = device.Allocate<float>((long)b * h, "dh");
        using var dc = device.Allocate<float>((long)b * h, "dc");
        _ = model.Weights.Gradients;

        void Forward()
        {
            buffers.HAt(0, 0, b).MemSetToZero();
            buffers.CAt(0, 0, b).MemSetToZero();
            stack.Forward(buffers, ids.View, null, t, b);
        }

        double forward = Median(steps, warmup, () =>
        {
            Forward();
            device.Synchronize();
        });
        double both = Median(steps, warmup, () =>
        {
            Forward();
            dh.Clear();
            dc.Clear();
            stack.Backward(buffers, ids.View, null, t, b, dTop.View, [dh.View], [dc.View], scratch);
            device.Synchronize();
        });

        return new BenchmarkResult
        {
            Config = config.Name,
            Device = device.Info.ToString(),
            Kernels = device.Ops.Backend,
            TrainStepMs = both * 1e3,
            ForwardMs = forward * 1e3,
            TrainTokensPerSecond = (double)b * t / both,
            Steps = steps,
        };
    }

    private static double DecodeStep(DecoderSession session, Batch sources, int decodeSteps, int steps, int warmup) =>
        Median(steps, warmup, () =>
        {
            session.Start(sources, 1);
            session.Greedy(decodeSteps, endId: -1);
        }) / decodeSteps;

    /// <summary>
    /// Width-5 beam steps that never end: each step reorders the rows, feeds tokens, runs the decoder, brings the
    /// logits back as log-probabilities and picks every sentence's best 10 of its 5·V extensions on the host with
    /// <see cref="CandidateRanking"/>, as beam search does.
    /// </summary>
    private static double BeamStep(Seq2SeqModel model, DecodeWeights weights, List<int[]> sources, int decodeSteps, int steps, int warmup)
    {
        const int width = 5;
        DecoderSession? session = null;
        try
        {
            var scorer = new DeviceStepScorer(model, (rows, sourceSteps) => session ??= new DecoderSession(model, rows, sourceSteps, weights), null);
            int rows = sources.Count * width;
            int vocab = model.Config.TargetVocabSize;
            var parents = Enumerable.Range(0, rows).Select(r => r / width * width).ToArray();
            var tokens = Enumerable.Repeat(model.Text.TargetVocabulary.StartId, rows).ToArray();
            var beamLogProbs = new double[width];
            var beamRows = new int[width];
            return Median(steps, warmup, () =>
            {
                scorer.Start(sources, width);
                for (int t = 0; t < decodeSteps; t++)
                {
                    var scores = scorer.Advance(parents, tokens);
                    for (int s = 0; s < sources.Count; s++)
                    {
                        for (int i = 0; i < width; i++)
                        {
                            beamRows[i] = (s * width) + i;
                        }

                        _ = CandidateRanking.Top(beamLogProbs, beamRows, scores, vocab, 2 * width);
                    }
                }
            }) / decodeSteps;
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>
    /// The median of <paramref name="steps"/> timed runs after the warm-up: <paramref name="warmup"/> runs, and (when
    /// that is not 0) as many more as fill <see cref="MinimumWarmup"/>. .NET's tiered JIT starts counting calls only
    /// 100 ms after it last compiled a method for the first time, and then recompiles the hot ones in the background;
    /// a few quick warm-up runs (five batch-1 decodes take about 10 ms) ended before that, so the first configuration
    /// a process measured timed its decode steps as unoptimised code (50 µs a step instead of 16-20;
    /// DOTNET_TC_CallCountingDelayMs=0 made the difference vanish).
    /// </summary>
    internal static double Median(int steps, int warmup, Action action)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || (warmup > 0 && Stopwatch.GetElapsedTime(warmupStart) < MinimumWarmup); i++)
        {
            action();
        }

        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(times);
        return steps % 2 == 1 ? times[steps / 2] : (times[(steps / 2) - 1] + times[steps / 2]) / 2;
    }

    private static int[] RandomIds(DeterministicRandom random, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => SpecialTokens.Standard.Unk + 1 + random.NextInt(vocab - SpecialTokens.Standard.Unk - 1)).ToArray();

    /// <summary>A batch of the configuration's shape with random full-length sequences (nothing padded), and its sources.</summary>
    internal static (List<int[]> Sources, Batch Batch) SyntheticBatch(TextEncoder text, BenchmarkConfig config)
    {
        var random = new DeterministicRandom(7);
        var sources = Enumerable.Range(0, config.Batch).Select(_ => RandomIds(random, config.SourceSteps, config.SourceVocab)).ToList();
        var targets = Enumerable.Range(0, config.Batch)
            .Select(_ => (IReadOnlyList<int>)[text.TargetVocabulary.StartId, .. RandomIds(random, config.TargetSteps - 1, config.TargetVocab), text.TargetVocabulary.EndId])
            .ToList();
        return (sources, Batch.Create(text, sources, targets));
    }

    /// <summary>Word-level vocabularies of exactly the configuration's sizes (specials plus synthetic tokens).</summary>
    internal static TextEncoder SyntheticText(BenchmarkConfig config)
    {
        static Vocabulary Make(int size, string prefix) => Vocabulary.FromTokens(
            [.. Vocabulary.StandardSpecialNames(TokenLevel.Word), .. Enumerable.Range(0, size - 4).Select(i => $"{prefix}{i}")],
            SpecialTokens.Standard);
        return new TextEncoder(TokenLevel.Word, VocabularyScheme.Standard, Make(config.SourceVocab, "s"), Make(config.TargetVocab, "t"));
    }
}
