using System.Numerics;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>
/// Decodes one batch of a <see cref="TranslationService"/> with scores: greedy batches step by step with the argmax taken
/// on the host from the step's logits (exactly the device's greedy choice, first index on ties, and the score comes
/// with it; once half a batch's rows have ended they are dropped from the device's rows), beam batches by <see cref="BeamSearch"/> over all their sentences at once. One translator a
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
        int count = sources.Count;
        int vocab = scorer.VocabularySize;
        int end = model.Text.TargetVocabulary.EndId;
        int max = translator.MaxLength;
        scorer.Start(sources, 1);
        var parents = Enumerable.Range(0, count).ToArray();
        var feed = Enumerable.Repeat(model.Text.TargetVocabulary.StartId, count).ToArray();
        var logits = new float[count * vocab];
        var tokens = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        var logProbability = new double[count];
        var finished = new bool[count];
        var ended = new bool[count];
        var sentenceOf = Enumerable.Range(0, count).ToArray(); // the sentence of each device row
        int rows = count;
        int live = count;

        // Step `step` chooses token number step + 1, as the device's greedy loop does; the last one may only end a sentence.
        for (int step = 0; step <= max && live > 0; step++)
        {
            scorer.AdvanceLogits(parents.AsSpan(0, rows), feed.AsSpan(0, rows), logits.AsSpan(0, rows * vocab));
            for (int r = 0; r < rows; r++)
            {
                int s = sentenceOf[r];
                if (ended[s])
                {
                    continue;
                }

                var (best, logp) = Choose(logits.AsSpan(r * vocab, vocab));
                if (best == end || step == max)
                {
                    finished[s] = best == end;
                    logProbability[s] += finished[s] ? logp : 0;
                    ended[s] = true;
                    feed[r] = end;
                    live--;
                }
                else
                {
                    logProbability[s] += logp;
                    tokens[s].Add(best);
                    feed[r] = best;
                }
            }

            if (live > 0 && live <= rows / 2)
            {
                // Half the rows have ended: drop them, so later steps compute only the live ones.
                var keep = Enumerable.Range(0, rows).Where(r => !ended[sentenceOf[r]]).ToArray();
                scorer.Compact(keep);
                for (int i = 0; i < keep.Length; i++)
                {
                    sentenceOf[i] = sentenceOf[keep[i]];
                    feed[i] = feed[keep[i]];
                }

                rows = keep.Length;
            }
        }

        return Enumerable.Range(0, count).Select(s =>
        {
            int length = Math.Max(1, tokens[s].Count + (finished[s] ? 1 : 0));
            IReadOnlyList<Hypothesis> one = [new Hypothesis(tokens[s], logProbability[s], logProbability[s] / Math.Pow(length, options.LengthPenalty), finished[s])];
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
                Precision = options.Precision,
            });
            translators[beamWidth] = translator;
        }

        return translator;
    }
}
