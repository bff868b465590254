using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The greedy-decoding bookkeeping kernel against its definition, step after step.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class DecodeKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1)]
    [TestCase(5)]
    [TestCase(67)]
    public void RecordStep_records_feeds_back_and_holds_finished_sentences_at_end(int batch)
    {
        const int endId = 2, steps = 4;
        var chosenPerStep = Enumerable.Range(0, steps).Select(s => Tensors.RandomIds(batch, 6, 100 + (ulong)s)).ToArray();
        var chosen = Zeros<int>(batch);
        var current = Zeros<int>(batch);
        var outputs = Zeros<int>(steps * batch);
        var finished = Zeros<int>(batch);

        var expectedOutputs = new int[steps * batch];
        var expectedFinished = new int[batch];
        for (int step = 0; step < steps; step++)
        {
            chosen.CopyFrom(chosenPerStep[step]);
            Ops.RecordStep(chosen.View, current.View, outputs.View, finished.View, step, batch, endId);
            for (int b = 0; b < batch; b++)
            {
                int token = expectedFinished[b] != 0 ? endId : chosenPerStep[step][b];
                expectedOutputs[(step * batch) + b] = token;
                expectedFinished[b] |= token == endId ? 1 : 0;
            }

            Assert.That(current.ToArray(), Is.EqualTo(expectedOutputs.AsSpan(step * batch, batch).ToArray()), $"inputs of step {step + 1}");
        }

        Assert.That(outputs.ToArray(), Is.EqualTo(expectedOutputs));
        Assert.That(finished.ToArray(), Is.EqualTo(expectedFinished));
        Assert.That(expectedFinished.Sum(), Is.GreaterThan(0), "the random ids include END, so the finished path is exercised");
    }
}
