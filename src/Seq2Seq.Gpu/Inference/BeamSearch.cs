namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// Beam search over any <see cref="IStepScorer"/>. Each sentence keeps up to k live hypotheses; at each step the
/// k·V extensions are ranked by total log-probability (ties: earlier beam, then lower token id, as argmax breaks
/// them), taken in order until k live ones are found; an extension by END becomes a finished hypothesis. A
/// sentence stops once it has k finished hypotheses or none live. Finished hypotheses are ranked by
/// <c>log p / length^α</c>. With k = 1 this is exactly greedy decoding.
/// </summary>
public static class BeamSearch
{
    /// <summary>
    /// Decodes every source; returns up to <paramref name="nBest"/> hypotheses per source, best first. The
    /// <paramref name="cancellationToken"/> is checked before every step.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Hypothesis>> Search(
        IStepScorer scorer, IReadOnlyList<int[]> sources, int beamWidth, int nBest, int startId, int endId, int maxLength, double lengthPenalty, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfLessThan(beamWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        int n = sources.Count;
        int k = beamWidth;
        int vocab = scorer.VocabularySize;
        var results = new IReadOnlyList<Hypothesis>[n];
        if (n == 0)
        {
            return results;
        }

        scorer.Start(sources, k);
        var attention = scorer as IAttentionSource is { HasAttention: true } source ? source : null;
        var alive = new List<Beam>[n];
        var finished = new List<Hypothesis>[n];
        var done = new bool[n];
        var parents = new int[n * k];
        var tokens = new int[n * k];
        for (int s = 0; s < n; s++)
        {
            alive[s] = [new Beam([], 0, s * k, attention is null ? null : [])];
            finished[s] = [];
            for (int i = 0; i < k; i++)
            {
                parents[(s * k) + i] = (s * k) + i;
                tokens[(s * k) + i] = startId;
            }
        }

        // Step `step` chooses output token number step + 1; the last step may only end sentences.
        for (int step = 0; step <= maxLength; step++)
        {
            bool last = step == maxLength;
            cancellationToken.ThrowIfCancellationRequested();
            var scores = scorer.Advance(parents, tokens);
            var stepAttention = attention?.LastAttention();
            int positions = attention?.SourcePositions ?? 0;
            var nextParents = new int[n * k];
            var nextTokens = new int[n * k];
            for (int r = 0; r < n * k; r++)
            {
                nextParents[r] = r;
                nextTokens[r] = endId;
            }

            for (int s = 0; s < n; s++)
            {
                if (done[s])
                {
                    continue;
                }

                var ranked = Rank(alive[s], scores, vocab, last ? k : 2 * k);
                var nextAlive = new List<Beam>(k);
                var ended = new HashSet<int>();
                foreach (var (beamIndex, token, logProb) in ranked)
                {
                    var beam = alive[s][beamIndex];
                    if (token == endId)
                    {
                        finished[s].Add(Finish(beam.Tokens, logProb, true, lengthPenalty, beam.Attention));
                        ended.Add(beamIndex);
                    }
                    else if (!last)
                    {
                        // The weights of this step for the beam's row belong to the token it chooses now.
                        var aligned = stepAttention is null ? null : (IReadOnlyList<float[]>)[.. beam.Attention!, stepAttention.AsSpan(beam.Row * positions, positions).ToArray()];
                        nextAlive.Add(new Beam([.. beam.Tokens, token], logProb, beam.Row, aligned));
                    }

                    if (nextAlive.Count == k || finished[s].Count >= k)
                    {
                        break;
                    }
                }

                if (last && finished[s].Count < k)
                {
                    // Out of length: the live hypotheses end here, unfinished.
                    finished[s].AddRange(alive[s].Where((_, i) => !ended.Contains(i)).Select(b => Finish(b.Tokens, b.LogProbability, false, lengthPenalty, b.Attention)));
                }

                if (finished[s].Count >= k || nextAlive.Count == 0 || last)
                {
                    done[s] = true;
                    continue;
                }

                for (int i = 0; i < nextAlive.Count; i++)
                {
                    int row = (s * k) + i;
                    nextParents[row] = nextAlive[i].Row;
                    nextTokens[row] = nextAlive[i].Tokens[^1];
                    nextAlive[i] = nextAlive[i] with { Row = row };
                }

                alive[s] = nextAlive;
            }

            if (done.All(d => d))
            {
                break;
            }

            parents = nextParents;
            tokens = nextTokens;
        }

        for (int s = 0; s < n; s++)
        {
            results[s] = finished[s]
                .Select((h, i) => (h, i))
                .OrderByDescending(x => x.h.Score)
                .ThenBy(x => x.i)
                .Take(nBest)
                .Select(x => x.h)
                .ToList();
        }

        return results;
    }

    private static List<(int Beam, int Token, double LogProb)> Rank(List<Beam> beams, double[] scores, int vocab, int keep)
    {
        var logProbs = new double[beams.Count];
        var rows = new int[beams.Count];
        for (int i = 0; i < beams.Count; i++)
        {
            logProbs[i] = beams[i].LogProbability;
            rows[i] = beams[i].Row;
        }

        return CandidateRanking.Top(logProbs, rows, scores, vocab, keep);
    }

    private static Hypothesis Finish(IReadOnlyList<int> tokens, double logProb, bool ended, double alpha, IReadOnlyList<float[]>? attention)
    {
        int length = Math.Max(1, tokens.Count + (ended ? 1 : 0));
        return new Hypothesis(tokens, logProb, logProb / Math.Pow(length, alpha), ended, attention);
    }

    private sealed record Beam(IReadOnlyList<int> Tokens, double LogProbability, int Row, IReadOnlyList<float[]>? Attention);
}
