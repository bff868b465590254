namespace Seq2Seq.Cli.Serving;

/// <summary>One of the n best hypotheses of a sentence.</summary>
/// <param name="Text">The translation.</param>
/// <param name="Score">Its ranking score.</param>
/// <param name="LogProbability">Sum of its tokens' log-probabilities.</param>
/// <param name="Finished">Whether it ended with END.</param>
internal sealed record HypothesisItem(string Text, double Score, double LogProbability, bool Finished);
