using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference;

/// <summary>The device decoder as an <see cref="IStepScorer"/>: states stay on the device; each step brings back the logits.</summary>
internal sealed class DeviceStepScorer(Seq2SeqModel model, Func<int, int, DecoderSession> session, int? sourceSteps) : IStepScorer, IAttentionSource
{
    private DecoderSession? current;

    public int VocabularySize => model.Config.TargetVocabSize;

    public bool HasAttention => model.Config.HasAttention;

    public int SourcePositions => current?.SourceSteps ?? 0;

    public float[] LastAttention() => current?.ReadAttention() ?? [];

    public void Start(IReadOnlyList<int[]> sources, int rowsPerSource)
    {
        var batch = Batch.Create(model.Text, sources, sourceSteps: sourceSteps);
        current = session(batch.BatchSize * rowsPerSource, batch.SourceSteps);
        current.Start(batch, rowsPerSource);
    }

    public double[] Advance(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens)
    {
        var logits = new float[parents.Length * VocabularySize];
        AdvanceLogits(parents, tokens, logits);
        return LogSoftmax(logits, VocabularySize);
    }

    /// <summary>Advances every row as <see cref="Advance"/> does, but brings back the raw logits [rows, V] into <paramref name="logits"/> (no allocation, no softmax).</summary>
    public void AdvanceLogits(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        var s = current ?? throw new InvalidOperationException("Start must be called before Advance");
        bool identity = true;
        for (int r = 0; r < parents.Length && identity; r++)
        {
            identity = parents[r] == r;
        }

        if (!identity)
        {
            s.Reorder(parents);
        }

        s.SetInputs(tokens);
        s.Step();
        s.ReadLogits(logits);
    }

    /// <summary>Keeps only the rows <paramref name="keep"/> (row i continues row keep[i]); later calls have keep.Length rows.</summary>
    public void Compact(ReadOnlySpan<int> keep) => (current ?? throw new InvalidOperationException("Start must be called before Compact")).Compact(keep);

    /// <summary>Row-wise log-softmax in double, so that ranking by it never differs from ranking by the logits.</summary>
    internal static double[] LogSoftmax(float[] logits, int vocab)
    {
        var result = new double[logits.Length];
        for (int row = 0; row < logits.Length / vocab; row++)
        {
            int offset = row * vocab;
            double max = double.NegativeInfinity;
            for (int v = 0; v < vocab; v++)
            {
                max = Math.Max(max, logits[offset + v]);
            }

            double sum = 0;
            for (int v = 0; v < vocab; v++)
            {
                sum += Math.Exp(logits[offset + v] - max);
            }

            double shift = max + Math.Log(sum);
            for (int v = 0; v < vocab; v++)
            {
                result[offset + v] = logits[offset + v] - shift;
            }
        }

        return result;
    }
}
