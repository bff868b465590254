using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>The mission's invariant: the inference loop computes what the training pass computes, from the same weights.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class StepByStepTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(0, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm)]
    [TestCase(0, 2, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(5, 3, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(0, 1, VocabularyScheme.KerasCompatible, CellKind.Gru)]
    [TestCase(0, 2, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(5, 3, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(0, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, true)]
    [TestCase(0, 2, VocabularyScheme.Standard, CellKind.Lstm, true)]
    [TestCase(5, 2, VocabularyScheme.KerasCompatible, CellKind.Gru, true)]
    [TestCase(5, 1, VocabularyScheme.Standard, CellKind.Gru, true)]
    public void Teacher_forced_and_step_by_step_logits_agree_at_every_step(int embedding, int layers, VocabularyScheme scheme, CellKind cell, bool bidirectional = false)
    {
        var pairs = TinyTasks.Reverse(9, 5, 31);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);

        // A bidirectional encoder splits H into two directions of H/2 units: it needs an even H.
        using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, bidirectional ? 8 : 7, layers, cell, bidirectional), seed: 8);
        var dataset = new ParallelDataset(pairs, text);
        model.MaxSourceLength = dataset.MaxSourceLength;
        var batch = dataset.GetBatches(9).Single();
        AssertStepByStepEqualsTeacherForced(model, batch);
    }

    /// <summary>The step-by-step path fed the batch's decoder inputs gives the teacher-forced logits at every unmasked position.</summary>
    internal static void AssertStepByStepEqualsTeacherForced(Seq2SeqModel model, Batch batch)
    {
        using var trainer = new Trainer(model, new TrainerOptions());
        using var translator = model.CreateTranslator();

        var teacherForced = trainer.TeacherForcedLogits(batch);
        var stepByStep = translator.StepByStepLogits(batch);

        int vocab = model.Config.TargetVocabSize;
        var expected = new List<double>();
        var actual = new List<float>();
        for (int position = 0; position < batch.TargetSteps * batch.BatchSize; position++)
        {
            if (batch.TargetMask[position] == 0)
            {
                continue;
            }

            for (int v = 0; v < vocab; v++)
            {
                expected.Add(teacherForced[(position * vocab) + v]);
                actual.Add(stepByStep[(position * vocab) + v]);
            }
        }

        Assert.That(actual, Has.Count.GreaterThan(vocab * batch.BatchSize));
        Tensors.AssertClose(actual.ToArray(), expected.ToArray(), "step-by-step logits vs teacher-forced logits", 1e-5, 1e-4);
    }
}
