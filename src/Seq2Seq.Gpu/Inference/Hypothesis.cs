namespace Seq2Seq.Gpu.Inference;

/// <summary>One decoded sequence.</summary>
/// <param name="Tokens">Target token ids, without START and END.</param>
/// <param name="LogProbability">Sum of the log-probabilities of its tokens (END included when it ended).</param>
/// <param name="Score">The ranking score: log-probability over length^α.</param>
/// <param name="Finished">Whether it ended with END (rather than at the length limit).</param>
/// <param name="Attention">
/// With a scorer that attends, the attention weights of each of its tokens over the source positions [tokens, Ts];
/// null otherwise.
/// </param>
public sealed record Hypothesis(IReadOnlyList<int> Tokens, double LogProbability, double Score, bool Finished, IReadOnlyList<float[]>? Attention = null);
