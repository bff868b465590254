using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Small reference models with seeded random parameters, for the reference's own checks.</summary>
public static class ReferenceModels
{
    /// <summary>
    /// A model of either cell with the engine's names (<see cref="ReferenceArchitecture.Default"/>) and every parameter
    /// uniform in [-0.5, 0.5): large enough that the gates leave their linear range, small enough to stay off saturation.
    /// </summary>
    public static ReferenceSeq2Seq Random(string cell, int sourceVocab, int targetVocab, int embedding, int hidden, int layers, ulong seed)
    {
        var architecture = ReferenceArchitecture.Default(cell, layers, oneHot: embedding == 0);
        int gates = (cell == ReferenceArchitecture.Gru ? ReferenceGru.Gates : ReferenceOps.Gates) * hidden;

        // A GRU's bias is [2, 3H] (input bias, recurrent bias); an LSTM's is [4H].
        int biasLength = cell == ReferenceArchitecture.Gru ? 2 * gates : gates;
        var random = new DeterministicRandom(seed);
        var parameters = new Dictionary<string, double[]>();
        void Add(string name, int count) => parameters[name] = Enumerable.Range(0, count).Select(_ => random.NextUniform(-0.5, 0.5)).ToArray();
        foreach (var (side, vocab) in new[] { (architecture.Encoder, sourceVocab), (architecture.Decoder, targetVocab) })
        {
            if (side.Embedding is not null)
            {
                Add(side.Embedding, vocab * embedding);
            }

            for (int l = 0; l < layers; l++)
            {
                int input = l > 0 ? hidden : embedding > 0 ? embedding : vocab;
                Add(side.Layers[l].Kernel, input * gates);
                Add(side.Layers[l].RecurrentKernel, hidden * gates);
                Add(side.Layers[l].Bias, biasLength);
            }
        }

        Add(architecture.OutputKernel, hidden * targetVocab);
        Add(architecture.OutputBias, targetVocab);
        return new ReferenceSeq2Seq(architecture, sourceVocab, targetVocab, embedding, hidden, parameters);
    }
}
