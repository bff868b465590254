namespace Seq2Seq.Cli.Serving;

/// <summary>The answer of <c>POST /translate</c>: one translation per sentence, in request order.</summary>
/// <param name="Translations">The translations.</param>
internal sealed record TranslateResponse(IReadOnlyList<TranslationItem> Translations);
