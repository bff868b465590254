using NUnit.Framework;
using Seq2Seq.Gpu.Evaluation;

namespace Seq2Seq.Gpu.Tests.Evaluation;

[TestFixture]
public sealed class TranslationMetricsTests
{
    private const double Tolerance = 1e-9;

    private static double Bleu(string hyp, string reference) => TranslationMetrics.Bleu([hyp], [reference]);

    private static double ChrF(string hyp, string reference) => TranslationMetrics.ChrF([hyp], [reference]);

    [Test]
    public void Identical_corpus_scores_100_everywhere()
    {
        string[] sentences = ["The cat sat on the mat.", "Je suis très content de te voir !", "Where is the station?"];
        TranslationScores scores = TranslationMetrics.Score(sentences, sentences);

        Assert.That(scores.ExactMatch, Is.EqualTo(1.0));
        Assert.That(scores.Bleu, Is.EqualTo(100.0).Within(Tolerance));
        Assert.That(scores.ChrF, Is.EqualTo(100.0).Within(Tolerance));
        Assert.That(scores.Count, Is.EqualTo(3));
    }

    [Test]
    public void Disjoint_corpus_scores_0_everywhere()
    {
        TranslationScores scores = TranslationMetrics.Score(["abc def ghi jkl"], ["mno pqr stu vwx"]);

        Assert.That(scores.ExactMatch, Is.Zero);
        Assert.That(scores.Bleu, Is.Zero);
        Assert.That(scores.ChrF, Is.Zero);
    }

    [Test]
    public void Empty_hypotheses_and_empty_corpus_give_0_not_NaN()
    {
        TranslationScores empty = TranslationMetrics.Score(["", "", ""], ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]);
        Assert.That(empty.Bleu, Is.Zero);
        Assert.That(empty.ChrF, Is.Zero);
        Assert.That(empty.ExactMatch, Is.Zero);

        TranslationScores none = TranslationMetrics.Score([], []);
        Assert.That(none, Is.EqualTo(new TranslationScores(0, 0, 0, 0)));

        TranslationScores allEmpty = TranslationMetrics.Score([""], [""]);
        Assert.That(double.IsNaN(allEmpty.Bleu) || double.IsNaN(allEmpty.ChrF), Is.False);
        Assert.That(allEmpty.ExactMatch, Is.EqualTo(1.0));
    }

    [Test]
    public void Bleu_brevity_penalty_by_hand()
    {
        // hyp: the cat sat on the (c = 5), ref: the cat sat on the mat (r = 6).
        // Every n-gram of the hypothesis is in the reference: p1..p4 = 5/5, 4/4, 3/3, 2/2 = 1.
        // BP = exp(1 - 6/5) = exp(-0.2) = 0.818730753..., BLEU = 81.8730753...
        Assert.That(Bleu("the cat sat on the", "the cat sat on the mat"), Is.EqualTo(100 * Math.Exp(-0.2)).Within(Tolerance));
        Assert.That(Bleu("the cat sat on the", "the cat sat on the mat"), Is.EqualTo(81.8730753).Within(1e-6));
    }

    [Test]
    public void Bleu_partial_match_by_hand()
    {
        // hyp: the cat sat on a mat / ref: the cat sat on the mat, same length so BP = 1.
        // p1 = 5/6 (all but "a"), p2 = 3/5 (the cat, cat sat, sat on), p3 = 2/4, p4 = 1/3 (the cat sat on).
        // BLEU = 100 * (5/6 * 3/5 * 2/4 * 1/3)^(1/4) = 100 * (1/12)^(1/4) = 53.7284965...
        Assert.That(Bleu("the cat sat on a mat", "the cat sat on the mat"), Is.EqualTo(100 * Math.Pow(1.0 / 12, 0.25)).Within(Tolerance));
    }

    [Test]
    public void Bleu_smooths_orders_without_matches_as_sacrebleu_exp()
    {
        // hyp: a cat sat the mat (c = 5) / ref: the cat sat on the mat (r = 6).
        // p1 = 4/5 (cat sat the mat), p2 = 2/4 (cat sat, the mat), 3-grams 0/3, 4-grams 0/2.
        // sacreBLEU "exp" smoothing: p3 = 1/(2*3), p4 = 1/(4*2). BP = exp(-0.2).
        // BLEU = 100 * exp(-0.2) * (0.8 * 0.5 * 1/6 * 1/8)^(1/4) = 24.737...
        double expected = 100 * Math.Exp(-0.2) * Math.Pow(0.8 * 0.5 / 6 / 8, 0.25);
        Assert.That(Bleu("a cat sat the mat", "the cat sat on the mat"), Is.EqualTo(expected).Within(Tolerance));
    }

    [Test]
    public void Bleu_is_0_when_hypotheses_are_shorter_than_4_tokens()
    {
        // As sacreBLEU: no 4-grams at all in the corpus means p4 is undefined and the score is 0.
        Assert.That(Bleu("Go away", "Go away"), Is.Zero);
    }

    [Test]
    public void Bleu_statistics_match_sacrebleu_test_suite()
    {
        // sacreBLEU test/test_bleu.py test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397.
        double score = CorpusBleu.FromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, expSmoothing: false);
        Assert.That(score / 100, Is.EqualTo(0.8375922397).Within(1e-8));
    }

    [Test]
    public void Bleu_is_corpus_level_not_an_average_of_sentences()
    {
        // Sentence 2 alone has no 4-gram; the corpus does, so the corpus score is positive.
        double corpus = TranslationMetrics.Bleu(["the cat sat on the mat", "Go away"], ["the cat sat on the mat", "Go away"]);
        Assert.That(corpus, Is.EqualTo(100.0).Within(Tolerance));
    }

    [TestCase("Hello, world!", "Hello , world !")]
    [TestCase("It costs $3.50, doesn't it?", "It costs $ 3.50 , doesn't it ?")]
    [TestCase("5-3 is a well-known fact.", "5 - 3 is a well-known fact .")]
    [TestCase("1,000.5 and 2.", "1,000.5 and 2 .")]
    [TestCase("A&amp;B &quot;x&quot; &lt;y&gt;", "A & B \" x \" < y >")]
    [TestCase("Bonjour\u202F! Ça va\u00A0?", "Bonjour ! Ça va ?")]
    [TestCase("(a)[b]{c}/d:e;f@g#h", "( a ) [ b ] { c } / d : e ; f @ g # h")]
    [TestCase("  many   spaces\there ", "many spaces here")]
    [TestCase("end-\nof line", "endof line")]
    public void Tokenizer_follows_13a(string input, string expected)
    {
        Assert.That(string.Join(' ', BleuTokenizer.Tokenize(input)), Is.EqualTo(expected));
    }

    [Test]
    public void ChrF_by_hand_precision_differs_from_recall()
    {
        // hyp "aab", ref "ab" (no whitespace).
        // n=1: hyp {a:2, b:1} = 3, ref {a, b} = 2, matches min(2,1) + min(1,1) = 2 -> P1 = 2/3, R1 = 1.
        // n=2: hyp {aa, ab} = 2, ref {ab} = 1, matches 1 -> P2 = 1/2, R2 = 1.
        // n=3..6: the reference has no such n-gram -> not an effective order.
        // P = (2/3 + 1/2) / 2 = 7/12, R = 1; chrF2 = 100 * 5 * P * R / (4P + R) = 100 * (35/12) / (40/12) = 87.5.
        Assert.That(ChrF("aab", "ab"), Is.EqualTo(87.5).Within(Tolerance));
    }

    [Test]
    public void ChrF_by_hand_half_match()
    {
        // hyp "ab", ref "ac": n=1 P = R = 1/2; n=2 P = R = 0; P = R = 1/4 -> chrF = 25 (any beta).
        Assert.That(ChrF("ab", "ac"), Is.EqualTo(25.0).Within(Tolerance));
    }

    [Test]
    public void ChrF_sums_statistics_over_the_corpus_like_sacrebleu()
    {
        // ("abc", "ab"): n=1 hyp 3 ref 2 match 2; n=2 hyp 2 ref 1 match 1; n=3: the reference has no 3-gram,
        //   so sacreBLEU counts the hypothesis' 3-gram as 0 too.
        // ("xyz", "xyz"): n=1 3/3/3, n=2 2/2/2, n=3 1/1/1.
        // Sums: n=1 6/5/5, n=2 4/3/3, n=3 1/1/1 -> P = (5/6 + 3/4 + 1)/3 = 31/36, R = 1.
        // chrF2 = 100 * 5 * (31/36) / (4 * 31/36 + 1) = 100 * 155/160 = 96.875.
        Assert.That(TranslationMetrics.ChrF(["abc", "xyz"], ["ab", "xyz"]), Is.EqualTo(96.875).Within(Tolerance));
    }

    [Test]
    public void ChrF_ignores_whitespace_and_counts_code_points()
    {
        Assert.That(ChrF("a b c", "abc"), Is.EqualTo(100.0).Within(Tolerance));
        Assert.That(ChrF("Bonjour\u202F!", "Bonjour !"), Is.EqualTo(100.0).Within(Tolerance));

        // "😀😀" vs "😀" as code points: n=1 hyp 2, ref 1, match 1 -> P = 1/2, R = 1; n>=2 not effective.
        // chrF2 = 100 * 5 * 0.5 / (4 * 0.5 + 1) = 83.333... (UTF-16 units would give 78.125).
        Assert.That(ChrF("😀😀", "😀"), Is.EqualTo(250.0 / 3).Within(Tolerance));
    }

    [TestCase(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [TestCase(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [TestCase(new[] { "aa" }, new[] { "ab" }, 25.0)]
    [TestCase(new[] { "" }, new[] { "c" }, 0.0)]
    [TestCase(new[] { "a" }, new[] { "a" }, 100.0)]
    public void ChrF_matches_sacrebleu_test_suite_beta3(string[] hyps, string[] refs, double expected)
    {
        // sacreBLEU test/test_chrf.py test_cases_effective_order (char_order=6, beta=3, eps_smoothing=False).
        Assert.That(CorpusChrF.Compute(hyps, refs, beta: 3), Is.EqualTo(expected).Within(1e-4));
    }

    [Test]
    public void Exact_match_trims_but_is_case_sensitive()
    {
        double rate = TranslationMetrics.ExactMatch([" Va ! ", "go.", "Cours !", "Salut."], ["Va !", "Go.", "Cours  !", "Salut.\n"]);
        Assert.That(rate, Is.EqualTo(0.5));
    }

    [Test]
    public void Length_mismatch_and_nulls_are_argument_errors()
    {
        Assert.That(() => TranslationMetrics.Score(["a", "b"], ["a"]),
            Throws.ArgumentException.With.Message.Contains("2 hypotheses but 1 references"));
        Assert.That(() => TranslationMetrics.Bleu(["a", null!], ["a", "b"]),
            Throws.ArgumentException.With.Message.Contains("hypothesis 1 is null"));
    }
}
