namespace Seq2Seq.Cli.Serving;

/// <summary>The body of <c>POST /translate</c>.</summary>
/// <param name="Text">The sentences to translate (at least one).</param>
/// <param name="Beam">Beam width; 1 (the default) is greedy decoding.</param>
/// <param name="Nbest">Hypotheses to return per sentence, 1 (the default) to the beam width.</param>
internal sealed record TranslateRequest(IReadOnlyList<string> Text, int Beam = 1, int Nbest = 1);
