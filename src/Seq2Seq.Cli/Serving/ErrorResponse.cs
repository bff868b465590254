using System.Text.Json.Serialization;

namespace Seq2Seq.Cli.Serving;

/// <summary>The body of every 4xx and 5xx answer.</summary>
/// <param name="Error">What was wrong, and where.</param>
/// <param name="Limit">The limit exceeded (<c>max_body_bytes</c>, <c>max_sentences</c>, <c>max_sentence_length</c>, <c>max_beam</c>), or null.</param>
internal sealed record ErrorResponse(
    string Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Limit = null);
