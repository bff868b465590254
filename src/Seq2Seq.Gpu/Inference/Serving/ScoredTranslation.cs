namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>One decoded hypothesis with its score.</summary>
/// <param name="Text">The translation.</param>
/// <param name="Tokens">Its target token ids (no START or END).</param>
/// <param name="LogProbability">Sum of the log-probabilities of its tokens (END included when it ended).</param>
/// <param name="Score">The ranking score: log-probability over length^α (see <see cref="TranslationServiceOptions.LengthPenalty"/>).</param>
/// <param name="Finished">Whether it ended with END (rather than at the length limit).</param>
public sealed record ScoredTranslation(string Text, IReadOnlyList<int> Tokens, double LogProbability, double Score, bool Finished);
