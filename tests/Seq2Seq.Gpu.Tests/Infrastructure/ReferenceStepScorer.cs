using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>The reference model behind the beam-search scorer interface (one source at a time; with attention, each row over its source's outputs).</summary>
public sealed class ReferenceStepScorer(ReferenceSeq2Seq model) : IStepScorer
{
    private (double[] H, double[] C)[][] rows = [];
    private double[][] memories = [];

    public int VocabularySize => model.TargetVocab;

    public void Start(IReadOnlyList<int[]> sources, int rowsPerSource)
    {
        memories = sources.SelectMany(s => Enumerable.Repeat(model.EncoderOutputs(new ReferenceBatch(s, null, [0], [-1], null, s.Length, 1, 1)), rowsPerSource)).ToArray();
        rows = sources.SelectMany(s =>
        {
            var states = model.EncoderFinalStates(new ReferenceBatch(s, null, [0], [-1], null, s.Length, 1, 1));
            return Enumerable.Range(0, rowsPerSource).Select(_ => states.Select(x => ((double[])x.H.Clone(), (double[])x.C.Clone())).ToArray());
        }).ToArray();
    }

    public double[] Advance(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens)
    {
        var previous = rows;
        rows = new (double[] H, double[] C)[previous.Length][];
        var scores = new double[previous.Length * model.TargetVocab];
        for (int r = 0; r < previous.Length; r++)
        {
            rows[r] = previous[parents[r]].Select(x => ((double[])x.H.Clone(), (double[])x.C.Clone())).ToArray();
            var logits = model.DecoderStep(tokens[r], rows[r], model.Architecture.Attention == ReferenceArchitecture.NoAttention ? [] : memories[r], out _);
            ReferenceOps.LogSoftmax(logits, 1, model.TargetVocab).CopyTo(scores, r * model.TargetVocab);
        }

        return scores;
    }
}
