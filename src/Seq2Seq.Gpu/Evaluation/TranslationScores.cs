namespace Seq2Seq.Gpu.Evaluation;

/// <summary>Translation quality of a set of hypotheses against their references, as computed by <see cref="TranslationMetrics.Score"/>.</summary>
/// <param name="ExactMatch">Fraction (0..1) of pairs whose hypothesis equals its reference after trimming surrounding whitespace.</param>
/// <param name="Bleu">Corpus BLEU-4 on a 0..100 scale, as sacreBLEU 2.x computes it by default (13a tokenisation, exp smoothing).</param>
/// <param name="ChrF">Corpus chrF (character 6-grams, beta 2) on a 0..100 scale, as sacreBLEU 2.x computes it by default.</param>
/// <param name="Count">The number of (hypothesis, reference) pairs scored.</param>
public sealed record TranslationScores(double ExactMatch, double Bleu, double ChrF, int Count);
