using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// Every translate call takes a <see cref="CancellationToken"/>: a cancelled call throws
/// <see cref="OperationCanceledException"/> (before the device is touched, or at the next step of a decode already
/// running) and the translator gives the same results afterwards.
/// </summary>
public sealed class CancellationTests
{
    [Test]
    public void A_cancelled_token_stops_every_translate_call_and_leaves_the_translator_usable()
    {
        using var model = NewModel();
        using var greedy = model.CreateTranslator();
        using var beam = model.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 2 });
        var sentences = TinyTasks.Reverse(6, 5, 3).Select(p => p.Source).ToList();
        var expected = greedy.Translate(sentences);
        var expectedBeam = beam.TranslateNBest(sentences[0], 2);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => greedy.Translate(sentences[0], cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => greedy.Translate(sentences, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => greedy.TranslateDetailed(sentences, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => greedy.DecodeIds([model.Text.EncodeSource(sentences[0])], cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => beam.Translate(sentences, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => beam.TranslateNBest(sentences[0], 2, cancelled.Token));

        Assert.That(greedy.Translate(sentences), Is.EqualTo(expected));
        Assert.That(beam.TranslateNBest(sentences[0], 2).Select(h => h.Tokens), Is.EqualTo(expectedBeam.Select(h => h.Tokens)));
    }

    [Test]
    public void A_search_cancelled_while_it_runs_stops_at_its_next_step()
    {
        using var model = NewModel();
        var reference = ReferenceModels.Of(model);
        var vocabulary = model.Text.TargetVocabulary;
        using var cancellation = new CancellationTokenSource();
        var scorer = new CancellingScorer(new ReferenceStepScorer(reference), afterSteps: 2, cancellation);

        Assert.Throws<OperationCanceledException>(() =>
            BeamSearch.Search(scorer, [model.Text.EncodeSource("abcde")], 3, 1, vocabulary.StartId, vocabulary.EndId, 20, 1.0, cancellation.Token));
        Assert.That(scorer.Steps, Is.EqualTo(2), "no step after the one during which the token was cancelled");
    }

    private static Seq2SeqModel NewModel()
    {
        var pairs = TinyTasks.Reverse(16, 5, 41);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 4, 8), seed: 2);
        model.MaxTargetLength = 12;
        return model;
    }

    /// <summary>A scorer that cancels the token during its <c>afterSteps</c>-th step, as a caller giving up mid-decode would.</summary>
    private sealed class CancellingScorer(IStepScorer inner, int afterSteps, CancellationTokenSource cancellation) : IStepScorer
    {
        public int Steps { get; private set; }

        public int VocabularySize => inner.VocabularySize;

        public void Start(IReadOnlyList<int[]> sources, int rowsPerSource) => inner.Start(sources, rowsPerSource);

        public double[] Advance(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens)
        {
            Steps++;
            if (Steps == afterSteps)
            {
                cancellation.Cancel();
            }

            return inner.Advance(parents, tokens);
        }
    }
}
