using System.Text.Json.Serialization;

namespace Seq2Seq.Cli.Serving;

/// <summary>One sentence's translation: the best hypothesis, and with <c>nbest</c> above 1 all of them.</summary>
/// <param name="Text">The best translation.</param>
/// <param name="Score">Its ranking score: log-probability over length^α (α = 1).</param>
/// <param name="LogProbability">Sum of its tokens' log-probabilities (END included when it ended).</param>
/// <param name="Finished">Whether it ended with END rather than at the length limit.</param>
/// <param name="Truncated">Whether the source was longer than the model accepts and was cut.</param>
/// <param name="Nbest">The n best hypotheses, best first (only when <c>nbest</c> is above 1).</param>
internal sealed record TranslationItem(
    string Text,
    double Score,
    double LogProbability,
    bool Finished,
    bool Truncated,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HypothesisItem>? Nbest);
