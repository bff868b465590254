using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Reference models: of an engine model (its weights and its description), or small seeded random ones.</summary>
public static class ReferenceModels
{
    /// <summary>
    /// The reference model of an engine model: its weights read back in double, and its structure, names included,
    /// from the engine's one description (<see cref="Seq2SeqArchitecture"/>), not spelled again here.
    /// </summary>
    public static ReferenceSeq2Seq Of(Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.Weights.Layout.Parameters.ToDictionary(p => p.Name, p => model.Weights.ReadTensor(p.Name).ToDouble());
        var description = Seq2SeqArchitecture.For(model.Config);
        static ReferenceSideNames Side(StackDescription side) =>
            new(side.Embedding, side.Layers.Select(l => new ReferenceLayerNames(l.Kernel, l.RecurrentKernel, l.Bias)).ToList());
        var attention = model.Config.Attention;
        var architecture = new ReferenceArchitecture(
            model.Config.Cell.ToString().ToLowerInvariant(), Side(description.Encoder), Side(description.Decoder), Seq2SeqArchitecture.OutputKernel, Seq2SeqArchitecture.OutputBias,
            description.Encoder.Reverse is { } reverse ? Side(reverse) : null, ActivationName(model.Config.RecurrentActivation),
            Attention: attention.Name(),
            AttentionScoreKernel: attention == AttentionKind.General ? Seq2SeqArchitecture.AttentionScoreKernel : null,
            AttentionCombineKernel: attention == AttentionKind.None ? null : Seq2SeqArchitecture.AttentionCombineKernel);
        var c = model.Config;
        return new ReferenceSeq2Seq(architecture, c.SourceVocabSize, c.TargetVocabSize, c.EmbeddingSize, c.HiddenSize, parameters);
    }

    /// <summary>The reference's name of an engine recurrent activation.</summary>
    public static string ActivationName(RecurrentActivation activation) => activation switch
    {
        RecurrentActivation.HardSigmoidKeras2 => ReferenceArchitecture.HardSigmoidKeras2,
        RecurrentActivation.HardSigmoidKeras3 => ReferenceArchitecture.HardSigmoidKeras3,
        _ => ReferenceArchitecture.Sigmoid,
    };

    /// <summary>
    /// A model of either cell with the engine's names (<see cref="ReferenceArchitecture.Default"/>) and every parameter
    /// uniform in [-0.5, 0.5): large enough that the gates leave their linear range, small enough to stay off saturation.
    /// With <paramref name="bidirectional"/>, the encoder has two directions of hidden / 2 units; with
    /// <paramref name="attention"/>, the decoder attends (its kernels are drawn last).
    /// </summary>
    public static ReferenceSeq2Seq Random(
        string cell, int sourceVocab, int targetVocab, int embedding, int hidden, int layers, ulong seed, bool bidirectional = false, string attention = ReferenceArchitecture.NoAttention,
        string activation = ReferenceArchitecture.Sigmoid)
    {
        var architecture = ReferenceArchitecture.Default(cell, layers, oneHot: embedding == 0, bidirectional, attention) with { RecurrentActivation = activation };
        int gateCount = cell == ReferenceArchitecture.Gru ? ReferenceGru.Gates : ReferenceOps.Gates;
        var random = new DeterministicRandom(seed);
        var parameters = new Dictionary<string, double[]>();
        void Add(string name, int count) => parameters[name] = Enumerable.Range(0, count).Select(_ => random.NextUniform(-0.5, 0.5)).ToArray();
        int encoderUnits = bidirectional ? hidden / 2 : hidden;
        var sides = new List<(ReferenceSideNames Side, int Vocab, int Units)> { (architecture.Encoder, sourceVocab, encoderUnits), (architecture.Decoder, targetVocab, hidden) };
        if (architecture.EncoderReverse is { } reverse)
        {
            sides.Add((reverse with { Embedding = null }, sourceVocab, encoderUnits));
        }

        foreach (var (side, vocab, units) in sides)
        {
            if (side.Embedding is not null)
            {
                Add(side.Embedding, vocab * embedding);
            }

            int gates = gateCount * units;

            // A GRU's bias is [2, 3U] (input bias, recurrent bias); an LSTM's is [4U]. Layers above 0 read H-wide outputs.
            int biasLength = cell == ReferenceArchitecture.Gru ? 2 * gates : gates;
            for (int l = 0; l < layers; l++)
            {
                int input = l > 0 ? hidden : embedding > 0 ? embedding : vocab;
                Add(side.Layers[l].Kernel, input * gates);
                Add(side.Layers[l].RecurrentKernel, units * gates);
                Add(side.Layers[l].Bias, biasLength);
            }
        }

        Add(architecture.OutputKernel, hidden * targetVocab);
        Add(architecture.OutputBias, targetVocab);
        if (architecture.AttentionScoreKernel is { } score)
        {
            Add(score, hidden * hidden);
        }

        if (architecture.AttentionCombineKernel is { } combine)
        {
            Add(combine, 2 * hidden * hidden);
        }
        return new ReferenceSeq2Seq(architecture, sourceVocab, targetVocab, embedding, hidden, parameters);
    }
}
