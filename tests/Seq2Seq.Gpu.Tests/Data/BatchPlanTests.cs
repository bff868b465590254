using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Data;

/// <summary>How an epoch is cut into batches: slices, length buckets, token budgets; every pair once, the same for a (seed, epoch).</summary>
public sealed class BatchPlanTests
{
    /// <summary>
    /// 300 pairs whose lengths run from 1 to 60 characters in a scrambled order, a translation a little longer or
    /// shorter than its source, as in a real corpus.
    /// </summary>
    private static ParallelDataset Corpus(VocabularyScheme scheme = VocabularyScheme.Standard)
    {
        var pairs = Enumerable.Range(0, 300)
            .Select(i => (Source: 1 + (i * 37 % 60), Target: 1 + (i * 37 % 60) + (i % 7)))
            .Select(p => new SentencePair(new string('a', p.Source), new string('b', p.Target)))
            .ToList();
        return new ParallelDataset(pairs, TextEncoder.Build(pairs, TokenLevel.Character, scheme));
    }

    private static BatchPlan Bucketed(int batchSize = 16, int? tokens = null, int window = 5) =>
        new() { BatchSize = batchSize, BatchTokens = tokens, Bucketed = true, WindowBatches = window };

    [TestCase(false, null)]
    [TestCase(true, null)]
    [TestCase(true, 600)]
    [TestCase(false, 600)]
    public void Every_pair_is_in_exactly_one_batch(bool bucketed, int? tokens)
    {
        var data = Corpus();
        var plan = new BatchPlan { BatchSize = 16, BatchTokens = tokens, Bucketed = bucketed, WindowBatches = 5 };

        var batches = data.PlanBatches(plan, shuffleSeed: 3, epoch: 2);

        Assert.That(batches.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, data.Count)));
        Assert.That(batches.Select(b => b.Length), Is.All.InRange(1, 16));
    }

    [Test]
    public void Slices_are_consecutive_runs_of_the_shuffled_order()
    {
        var data = Corpus();
        var batches = data.PlanBatches(BatchPlan.Slices(16), shuffleSeed: 3, epoch: 2);

        Assert.That(batches.SelectMany(b => b), Is.EqualTo(data.GetOrder(3, 2)));
        Assert.That(batches.Select(b => b.Length), Is.EqualTo(Enumerable.Repeat(16, 18).Append(12)));
    }

    [Test]
    public void Buckets_depend_only_on_seed_and_epoch()
    {
        var data = Corpus();
        var plan = Bucketed();

        var first = data.PlanBatches(plan, 3, 2);
        var again = data.PlanBatches(plan, 3, 2);
        var next = data.PlanBatches(plan, 3, 3);

        Assert.That(again, Is.EqualTo(first), "the same epoch again: a resumed run's batches");
        Assert.That(next, Is.Not.EqualTo(first), "another epoch, other batches");
    }

    [Test]
    public void Bucketing_raises_the_fraction_of_computed_positions_that_are_tokens()
    {
        var data = Corpus();
        double slices = data.UsefulFraction(data.PlanBatches(BatchPlan.Slices(16), 3, 1));
        double buckets = data.UsefulFraction(data.PlanBatches(Bucketed(), 3, 1));

        TestContext.Out.WriteLine($"useful positions: slices {slices:P1}, buckets {buckets:P1}");
        Assert.That(slices, Is.LessThan(0.7), "random slices of lengths 1-60 are mostly padding");
        Assert.That(buckets, Is.GreaterThan(slices + 0.2));
    }

    [Test]
    public void Bucketed_batches_hold_pairs_of_about_one_length_and_come_in_shuffled_order()
    {
        var data = Corpus();
        var batches = data.PlanBatches(Bucketed(window: 100), 3, 1);
        int TargetLength(int i) => data.GetTargetIds(i).Count;

        // One window holds the whole corpus: the batches are consecutive runs of the length order, so no two overlap.
        var byLength = batches.OrderBy(b => b.Min(TargetLength)).ToList();
        for (int i = 1; i < byLength.Count; i++)
        {
            Assert.That(byLength[i - 1].Max(TargetLength), Is.LessThanOrEqualTo(byLength[i].Min(TargetLength)), $"batch {i}");
        }

        var longest = batches.Select(b => b.Max(TargetLength)).ToList();
        Assert.That(longest, Is.Not.Ordered, "the batches themselves are shuffled");
    }

    [Test]
    public void A_token_budget_bounds_the_padded_positions_of_every_batch_but_a_single_long_pair()
    {
        var data = Corpus();
        const int budget = 500;
        var batches = data.PlanBatches(Bucketed(batchSize: 64, tokens: budget), 3, 1);

        foreach (var batch in batches)
        {
            var made = data.GetBatch(batch);
            long positions = (long)made.BatchSize * (made.SourceSteps + made.TargetSteps);
            Assert.That(positions <= budget || batch.Length == 1, $"{batch.Length} pairs, {positions} positions");
        }

        Assert.That(batches.Max(b => b.Length), Is.GreaterThan(batches.Min(b => b.Length)), "short pairs share a batch with more of them");
    }

    [Test]
    public void Keras_compatible_data_keeps_slices_whatever_the_options()
    {
        var options = new TrainerOptions { BatchSize = 16, Bucketed = true };

        Assert.That(options.BatchPlanFor(Corpus(VocabularyScheme.KerasCompatible)).Bucketed, Is.False, "padded to the corpus's maxima: buckets would change nothing but the order");
        Assert.That(options.BatchPlanFor(Corpus()).Bucketed, Is.True);
    }

    [TestCase(0, null, 1)]
    [TestCase(16, 0, 1)]
    [TestCase(16, null, 0)]
    public void Impossible_plans_are_argument_errors(int batchSize, int? tokens, int window)
    {
        var plan = new BatchPlan { BatchSize = batchSize, BatchTokens = tokens, WindowBatches = window };

        Assert.That(() => Corpus().PlanBatches(plan), Throws.ArgumentException);
    }
}
