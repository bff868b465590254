using System.Numerics;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>
/// Decodes one batch of a <see cref="TranslationService"/> with scores: greedy batches step by step with the argmax taken
/// on the host from the step's logits (exactly the device's greedy choice, first index on ties, and the score comes
/// with it), beam batches by <see cref="BeamSearch"/> over all their sentences at once. One translator a
/// beam width, each with its own decoder buffers over the model's one weight store.
/// </summary>
internal sealed class BatchDecoder(Seq2SeqModel model, TranslationServiceOptions options) : IDisposable
{
    private readonly Dictionary<int, Translator> translators = [];

    /// <summary>Source tokens kept per sentence (0: all), as the translator truncates.</summary>
    public int MaxSourceLength => TranslatorFor(1).MaxSourceLength;

    /// <summary>Decodes the sources (empty ones give one empty, finished hypothesis); per source up to <paramref name="beamWidth"/> hypotheses, best first.</summary>
    public IReadOnlyList<IReadOnlyList<ScoredTranslation>> Decode(int beamWidth, IReadOnlyList<int[]> sources)
    {
        var translator = TranslatorFor(beamWidth);
        var results = new IReadOnlyList<ScoredTranslation>[sources.Count];
        var work = Enumerable.Range(0, sources.Count).Where(i => sources[i].Length > 0).ToList();
        foreach (int i in Enumerable.Range(0, sources.Count).Except(work))
        {
            results[i] = [new ScoredTranslation(string.Empty, [], 0, 0, true)];
        }

        if (work.Count == 0)
        {
            return results;
        }

        var ids = work.Select(i => sources[i]).ToList();
        var vocabulary = model.Text.TargetVocabulary;
        IReadOnlyList<IReadOnlyList<Hypothesis>> decoded;
        using (model.Device.EnterExclusive())
        {
            decoded = beamWidth == 1
                ? Greedy(translator, ids)
                : BeamSearch.Search(translator.CreateScorer(), ids, beamWidth, beamWidth, vocabulary.StartId, vocabulary.EndId, translator.MaxLength, options.LengthPenalty);
        }

        for (int j = 0; j < work.Count; j++)
        {
            results[work[j]] = decoded[j].Select(h => new ScoredTranslation(model.Text.DecodeTarget(h.Tokens), h.Tokens, h.LogProbability, h.Score, h.Finished)).ToList();
        }

        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var translator in translators.Values)
        {
            translator.Dispose();
        }

        translators.Clear();
    }

    private List<IReadOnlyList<Hypothesis>> Greedy(Translator translator, List<int[]> sources)
    {
        var scorer = (DeviceStepScorer)translator.CreateScorer(); // the device scorer also gives the raw logits
        int rows = sources.Count;
        int vocab = scorer.VocabularySize;
        int end = model.Text.TargetVocabulary.EndId;
        int max = translator.MaxLength;
        scorer.Start(sources, 1);
        var parents = Enumerable.Range(0, rows).ToArray();
        var feed = Enumerable.Repeat(model.Text.TargetVocabulary.StartId, rows).ToArray();
        var logits = new float[rows * vocab];
        var tokens = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var logProbability = new double[rows];
        var finished = new bool[rows];
        var live = rows;

        // Step `step` chooses token number step + 1, as the device's greedy loop does; the last one may only end a sentence.
        for (int step = 0; step <= max && live > 0; step++)
        {
            scorer.AdvanceLogits(parents, feed, logits);
            for (int r = 0; r < rows; r++)
            {
                if (feed[r] == end)
                {
                    continue;
                }

                var (best, logp) = Choose(logits.AsSpan(r * vocab, vocab));
                if (best == end || step == max)
                {
                    finished[r] = best == end;
                    logProbability[r] += finished[r] ? logp : 0;
                    feed[r] = end;
                    live--;
                }
                else
                {
                    logProbability[r] += logp;
                    tokens[r].Add(best);
                    feed[r] = best;
                }
            }
        }

        return Enumerable.Range(0, rows).Select(r =>
        {
            int length = Math.Max(1, tokens[r].Count + (finished[r] ? 1 : 0));
            IReadOnlyList<Hypothesis> one = [new Hypothesis(tokens[r], logProbability[r], logProbability[r] / Math.Pow(length, options.LengthPenalty), finished[r])];
            return one;
        }).ToList();
    }

    /// <summary>
    /// The greedy choice of one row of logits (the first largest, as the device's argmax) and its log-probability
    /// (the sum of the exponentials vectorised in single precision: within about 1e-6 of beam search's double one).
    /// </summary>
    private static (int Token, double LogProbability) Choose(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int v = 1; v < logits.Length; v++)
        {
            if (logits[v] > logits[best])
            {
                best = v;
            }
        }

        float top = logits[best];
        var shift = new Vector<float>(top);
        var sums = Vector<float>.Zero;
        int i = 0;
        for (; i <= logits.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            sums += Vector.Exp(new Vector<float>(logits[i..]) - shift);
        }

        double sum = Vector.Sum(sums);
        for (; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - top);
        }

        return (best, -Math.Log(sum));
    }

    private Translator TranslatorFor(int beamWidth)
    {
        if (!translators.TryGetValue(beamWidth, out var translator))
        {
            translator = model.CreateTranslator(new DecodingOptions
            {
                BeamWidth = beamWidth,
                NBest = beamWidth,
                MaxLength = options.MaxLength,
                LengthPenalty = options.LengthPenalty,
                MaxBatch = options.MaxBatch,
            });
            translators[beamWidth] = translator;
        }

        return translator;
    }
}
