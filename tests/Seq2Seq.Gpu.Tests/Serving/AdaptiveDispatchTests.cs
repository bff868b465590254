using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Inference.Serving;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>
/// The adaptive dispatch rule, with the decoding thread held busy by the test (its batch callback blocks) and a delay
/// that never expires, so which sentences share a batch depends only on what was queued when, never on timing.
/// </summary>
public sealed class AdaptiveDispatchTests
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);

    /// <summary>Long enough for any machine; reached only when the rule under test is broken (a batch that never comes).</summary>
    private static readonly TimeSpan NeverOnAWorkingRule = TimeSpan.FromMinutes(2);

    [Test]
    public async Task A_lone_client_is_answered_at_once_however_long_the_delay()
    {
        var batches = new BatchLog();
        var sentences = ServingModel.Sentences(2, 61);
        using var translator = ServingModel.Model.CreateTranslator();
        await using var service = new TranslationService(ServingModel.Model, new() { MaxDelay = Forever, OnBatch = batches.Record });
        Assert.That(service.Options.Dispatch, Is.EqualTo(BatchDispatch.Adaptive), "the default policy");

        // Under full-or-delay these would wait for 64 sentences or an hour.
        var first = await service.TranslateAsync(sentences[0]).WaitAsync(NeverOnAWorkingRule);
        var second = await service.TranslateAsync(sentences[1]).WaitAsync(NeverOnAWorkingRule);

        Assert.That(new[] { first.Text, second.Text }, Is.EqualTo(translator.Translate(sentences)));
        Assert.That(await batches.After(2), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public async Task Sentences_queued_while_the_decoder_is_busy_form_the_next_batch_and_the_one_after_expects_as_many()
    {
        var batches = new BatchLog();
        var sentences = ServingModel.Sentences(11, 62);
        using var translator = ServingModel.Model.CreateTranslator();
        using var release = new ManualResetEventSlim();
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var service = new TranslationService(ServingModel.Model, HeldAfterTheFirstBatch(8, batches, busy, release));
        try
        {
            var lone = service.TranslateAsync(sentences[0]);
            await busy.Task.WaitAsync(NeverOnAWorkingRule);
            var whileBusy = sentences[1..6].Select(s => service.TranslateAsync(s)).ToList();
            Assert.That(service.QueuedSentences, Is.EqualTo(5), "nothing is taken while the decoder is busy");
            release.Set();
            await Task.WhenAll(whileBusy).WaitAsync(NeverOnAWorkingRule);
            Assert.That(await batches.After(2), Is.EqualTo(new[] { 1, 5 }), "the five queued during the decode went together, at once");

            // The last batch held 5: three are not enough (and the delay never expires); two more make the batch.
            var fewer = sentences[6..9].Select(s => service.TranslateAsync(s)).ToList();
            Assert.That(service.QueuedSentences, Is.EqualTo(3));
            var rest = sentences[9..11].Select(s => service.TranslateAsync(s)).ToList();
            await Task.WhenAll(fewer.Concat(rest)).WaitAsync(NeverOnAWorkingRule);
            Assert.That(await batches.After(3), Is.EqualTo(new[] { 1, 5, 5 }));

            // Each beam width keeps its own expectation: a lone beam request has had no batch yet, so it goes at once.
            await service.TranslateAsync(sentences[0], beamWidth: 2).WaitAsync(NeverOnAWorkingRule);
            Assert.That(await batches.After(4), Is.EqualTo(new[] { 1, 5, 5, 1 }));

            var got = new[] { await lone }.Concat(await Task.WhenAll(whileBusy.Concat(fewer).Concat(rest))).Select(t => t.Text);
            Assert.That(got, Is.EqualTo(translator.Translate(sentences)));
        }
        finally
        {
            release.Set();
        }
    }

    [Test]
    public async Task Sentences_passed_over_by_a_full_batch_go_next_without_waiting_to_fill()
    {
        var batches = new BatchLog();
        using var release = new ManualResetEventSlim();
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var service = new TranslationService(ServingModel.Model, HeldAfterTheFirstBatch(4, batches, busy, release));
        try
        {
            var lone = service.TranslateAsync("abc");
            await busy.Task.WaitAsync(NeverOnAWorkingRule);
            var many = service.TranslateAsync(ServingModel.Sentences(10, 63));
            release.Set();

            // 10 queued, batches of 4: the last batch held 4, yet the two left after two full ones go at once (the delay never expires).
            await Task.WhenAll(lone, many).WaitAsync(NeverOnAWorkingRule);
            Assert.That(await batches.After(4), Is.EqualTo(new[] { 1, 4, 4, 2 }));
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>Adaptive dispatch, a delay that never expires, and the decoding thread held after its first batch (as a long decode would) until <paramref name="release"/> is set.</summary>
    private static TranslationServiceOptions HeldAfterTheFirstBatch(int maxBatch, BatchLog batches, TaskCompletionSource busy, ManualResetEventSlim release) => new()
    {
        MaxBatch = maxBatch,
        MaxDelay = Forever,
        Dispatch = BatchDispatch.Adaptive,
        OnBatch = b =>
        {
            batches.Record(b);
            if (batches.Count == 1)
            {
                busy.TrySetResult();
                release.Wait();
            }
        },
    };

    [Test]
    public void An_undefined_policy_is_refused_with_the_names_of_the_defined_ones()
    {
        Assert.That(
            () => new TranslationService(ServingModel.Model, new() { Dispatch = (BatchDispatch)7 }),
            Throws.ArgumentException.With.Message.Contains("adaptive, full-or-delay").And.Message.Contains("got 7"));
    }

    [TestCase(BatchDispatch.Adaptive, "adaptive")]
    [TestCase(BatchDispatch.FullOrDelay, "full-or-delay")]
    public void Each_policy_has_one_name_that_parses_back(BatchDispatch policy, string name)
    {
        Assert.That(policy.Name(), Is.EqualTo(name));
        Assert.That(BatchDispatches.TryParse(name, out var parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(policy));
        Assert.That(BatchDispatches.TryParse("eager", out _), Is.False);
    }
}
