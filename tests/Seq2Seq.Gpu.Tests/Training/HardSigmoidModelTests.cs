using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Training;

/// <summary>
/// A whole model whose LSTMs use a Keras hard sigmoid: its training pass (loss and every gradient), its greedy decoding
/// (step by step or one persistent launch, as the device does it) against the reference, and its checkpoint.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class HardSigmoidModelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(0, 2, RecurrentActivation.HardSigmoidKeras2)]
    [TestCase(4, 1, RecurrentActivation.HardSigmoidKeras3)]
    public void Training_pass_and_greedy_decoding_match_the_reference(int embedding, int layers, RecurrentActivation activation)
    {
        // The standard scheme: its batches mask padding, so a batched decode equals the reference's one sentence at a time.
        var pairs = TinyTasks.Reverse(7, 5, 11);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var config = Seq2SeqConfig.ForText(text, embedding, 6, layers) with { RecurrentActivation = activation };
        using var model = Seq2SeqModel.Create(Device, text, config, seed: 3);

        // Larger weights than the initialiser's, so that gates reach the hard sigmoid's clips as well as its linear part.
        var weights = model.Weights.Weights.ToArray();
        model.Weights.Weights.CopyFrom(weights.Select(w => w * 4f).ToArray());
        var batch = new ParallelDataset(pairs, text).GetBatches(7).Single();
        using var pass = new TrainingPass(model.Weights, model.Config);
        model.Weights.ZeroGradients();
        var result = pass.Run(batch, backward: true, null);

        var reference = ReferenceModels.Of(model);
        var expected = reference.ForwardBackward(TinyTasks.ToReference(batch));
        Assert.That(result.MeanLoss, Is.EqualTo(expected.Loss).Within(1e-5 * Math.Abs(expected.Loss)));
        foreach (var (name, grad) in expected.Gradients)
        {
            Tensors.AssertClose(model.Weights.ReadGradient(name), grad, $"d {name}", 1e-6, 2e-3);
        }

        using var translator = model.CreateTranslator();
        var sources = pairs.Select(p => text.EncodeSource(p.Source)).ToList();
        var decoded = translator.DecodeIds(sources);
        var vocabulary = text.TargetVocabulary;
        for (int i = 0; i < sources.Count; i++)
        {
            Assert.That(decoded[i], Is.EqualTo(reference.GreedyDecode(sources[i], vocabulary.StartId, vocabulary.EndId, translator.MaxLength)), $"sentence {i}");
        }
    }

    [Test]
    public void The_activation_survives_a_checkpoint_and_sigmoid_files_do_not_name_it()
    {
        var text = TextEncoder.Build(TinyTasks.Reverse(5, 4, 2), TokenLevel.Character, VocabularyScheme.Standard);
        string directory = Directory.CreateTempSubdirectory("seq2seq-hard-").FullName;
        try
        {
            foreach (var activation in Enum.GetValues<RecurrentActivation>())
            {
                using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, 0, 4) with { RecurrentActivation = activation });
                string path = Path.Combine(directory, $"{activation}.s2s");
                ModelCheckpoint.Save(path, model);
                using var loaded = ModelCheckpoint.Load(Device, path).Model;
                Assert.That(loaded.Config.RecurrentActivation, Is.EqualTo(activation));
                Assert.That(SafeTensorsFile.Read(path).Metadata["config"].Contains("recurrent_activation", StringComparison.Ordinal), Is.EqualTo(activation != RecurrentActivation.Sigmoid));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
