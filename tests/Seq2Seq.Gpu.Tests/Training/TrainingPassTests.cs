using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Training;

/// <summary>The device training pass against the plain C# reference model: loss and every gradient.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class TrainingPassTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(0, 5, 1, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(3, 4, 3, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(0, 7, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm)]
    [TestCase(0, 5, 1, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(0, 7, 1, VocabularyScheme.KerasCompatible, CellKind.Gru)]
    [TestCase(0, 6, 1, VocabularyScheme.Standard, CellKind.Lstm, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, true)]
    [TestCase(0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, true)]
    [TestCase(3, 4, 2, VocabularyScheme.KerasCompatible, CellKind.Lstm, true)]
    [TestCase(0, 6, 1, VocabularyScheme.Standard, CellKind.Gru, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru, true)]
    [TestCase(0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Gru, true)]
    [TestCase(3, 4, 2, VocabularyScheme.KerasCompatible, CellKind.Gru, true)]
    public void Loss_and_every_gradient_match_the_reference(int embedding, int hidden, int layers, VocabularyScheme scheme, CellKind cell, bool bidirectional = false)
    {
        var pairs = TinyTasks.Reverse(7, 5, 11);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, hidden, layers, cell, bidirectional), seed: 3);
        var dataset = new ParallelDataset(pairs, text);
        var batch = dataset.GetBatches(7).Single();
        using var pass = new TrainingPass(model.Weights, model.Config);

        model.Weights.ZeroGradients();
        var result = pass.Run(batch, backward: true);

        var expected = ReferenceModels.Of(model).ForwardBackward(TinyTasks.ToReference(batch));

        Assert.That(result.Counted, Is.EqualTo(expected.Counted));
        Assert.That(result.MeanLoss, Is.EqualTo(expected.Loss).Within(1e-5 * Math.Abs(expected.Loss)));
        Assert.That(result.Correct, Is.EqualTo(expected.Correct));
        foreach (var (name, grad) in expected.Gradients)
        {
            Tensors.AssertClose(model.Weights.ReadGradient(name), grad, $"d {name}", 1e-6, 2e-3);
        }
    }
}
