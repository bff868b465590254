using Seq2Seq.Gpu.Inference;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>Beam search's selection of the best extensions against sorting all of them, the order it documents.</summary>
public sealed class CandidateRankingTests
{
    /// <summary>Every candidate sorted: log-probability descending (<see cref="double.CompareTo(double)"/>), then beam, then token.</summary>
    private static List<(int Beam, int Token, double LogProb)> FullSort(double[] beamLogProbs, int[] beamRows, double[] scores, int vocab, int keep)
    {
        var all = new List<(int Beam, int Token, double LogProb)>();
        for (int i = 0; i < beamLogProbs.Length; i++)
        {
            for (int v = 0; v < vocab; v++)
            {
                all.Add((i, v, beamLogProbs[i] + scores[(beamRows[i] * vocab) + v]));
            }
        }

        all.Sort((a, b) => b.LogProb.CompareTo(a.LogProb) is var s && s != 0 ? s : a.Beam != b.Beam ? a.Beam.CompareTo(b.Beam) : a.Token.CompareTo(b.Token));
        return all.Take(keep).ToList();
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 7, 2)]
    [TestCase(5, 93, 10)]
    [TestCase(5, 93, 5)]
    [TestCase(3, 4, 20)]
    [TestCase(5, 8000, 10)]
    [TestCase(8, 1, 16)]
    public void Keeps_exactly_the_head_of_the_full_sort(int beams, int vocab, int keep)
    {
        var random = new Random(beams * 1000 + vocab);
        for (int round = 0; round < 20; round++)
        {
            // Scores on a coarse grid so that many tie, some impossible (-inf), some NaN, zeros of both signs; beams at other rows of a larger
            // score matrix, in an order that is not the rows' order.
            int rows = beams + 3;
            var scores = Enumerable.Range(0, rows * vocab).Select(_ => random.Next(20) switch
            {
                0 => double.NegativeInfinity,
                1 => double.NaN,
                2 => 0.0,
                3 => -0.0,
                _ => -Math.Round(random.NextDouble() * 4, 1),
            }).ToArray();
            var beamRows = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).Take(beams).ToArray();
            var beamLogProbs = Enumerable.Range(0, beams).Select(_ => random.Next(3) == 0 ? -1.0 : -Math.Round(random.NextDouble() * 2, 1)).ToArray();

            var top = CandidateRanking.Top(beamLogProbs, beamRows, scores, vocab, keep);

            Assert.That(top, Is.EqualTo(FullSort(beamLogProbs, beamRows, scores, vocab, keep)), $"round {round}");
        }
    }

    [Test]
    public void A_uniform_row_ranks_by_beam_then_token_as_argmax_breaks_ties()
    {
        var top = CandidateRanking.Top([-1.0, -1.0], [1, 0], new double[2 * 4], 4, 6);

        Assert.That(top.Select(c => (c.Beam, c.Token)), Is.EqualTo(new[] { (0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1) }));
    }

    [Test]
    public void No_beams_or_an_empty_vocabulary_give_no_candidates()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CandidateRanking.Top([], [], new double[4], 2, 3), Is.Empty);
            Assert.That(CandidateRanking.Top([0.0, -1.0], [0, 1], [], 0, 3), Is.Empty);
        });
    }

    [Test]
    public void Rejects_mismatched_beams_and_an_empty_keep()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => CandidateRanking.Top([0.0, 0.0], [0], new double[4], 2, 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => CandidateRanking.Top([0.0], [0], new double[4], 2, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => CandidateRanking.Top([0.0], [2], new double[4], 2, 1), Throws.InstanceOf<ArgumentOutOfRangeException>(), "a beam row past the scores");
        });
    }
}
