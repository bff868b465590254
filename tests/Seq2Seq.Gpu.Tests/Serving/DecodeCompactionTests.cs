using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>
/// Dropping finished rows from a decode (what the service's greedy batches do) leaves the kept rows' computation as it
/// was, with attention too (each kept row keeps its own source's memory and mask).
/// </summary>
public sealed class DecodeCompactionTests
{
    [TestCase(AttentionKind.None, false)]
    [TestCase(AttentionKind.General, false)]
    [TestCase(AttentionKind.Dot, true)]
    public void After_compaction_the_kept_rows_get_the_logits_they_would_have_got(AttentionKind attention, bool bidirectional)
    {
        using var own = attention == AttentionKind.None ? null : ServingModel.CreateModel(attention, bidirectional);
        var model = own ?? ServingModel.Model;
        var sources = ServingModel.Sentences(5, 61).Select(s => model.Text.EncodeSource(s)).ToList();
        int start = model.Text.TargetVocabulary.StartId;
        int[] first = [start, start, start, start, start];
        int[] second = [3, 4, 5, 6, 7];
        int[] keep = [3, 1, 4];
        using var translator = model.CreateTranslator();
        var scorer = (DeviceStepScorer)translator.CreateScorer();
        int vocab = scorer.VocabularySize;
        var whole = new float[5 * vocab];
        var kept = new float[3 * vocab];
        using (model.Device.EnterExclusive())
        {
            scorer.Start(sources, 1);
            scorer.AdvanceLogits([0, 1, 2, 3, 4], first, whole);
            scorer.AdvanceLogits([0, 1, 2, 3, 4], second, whole);

            scorer.Start(sources, 1);
            scorer.AdvanceLogits([0, 1, 2, 3, 4], first, new float[5 * vocab]);
            scorer.Compact(keep);
            scorer.AdvanceLogits([0, 1, 2], keep.Select(r => second[r]).ToArray(), kept);
        }

        for (int i = 0; i < keep.Length; i++)
        {
            Assert.That(kept.AsSpan(i * vocab, vocab).ToArray(), Is.EqualTo(whole.AsSpan(keep[i] * vocab, vocab).ToArray()).Within(1e-6), $"kept row {i} (was row {keep[i]})");
        }

        Assert.That(() => scorer.Compact([0, 1, 2, 0]), Throws.InstanceOf<ArgumentOutOfRangeException>(), "a session keeps at most the rows it has");
    }
}
