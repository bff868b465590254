using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Examples;

/// <summary>The README's embedding example, line for line on a tiny corpus, so that the README cannot drift from the API.</summary>
public sealed class ReadmeExampleTests
{
    [Test]
    public void The_readme_embedding_example_runs()
    {
        string directory = Directory.CreateTempSubdirectory("seq2seq-readme-").FullName;
        try
        {
            string corpus = Path.Combine(directory, "fra.txt");
            File.WriteAllLines(corpus, TinyTasks.Reverse(40, 4, 9).Select(p => $"{p.Source}\t{p.Target}"));
            string modelPath = Path.Combine(directory, "fra.s2s");

            using var device = ComputeDevice.Open(DeviceKind.Cpu);
            var pairs = CorpusReader.Read(corpus, new CorpusReadOptions { MaxPairs = 10_000 }).Pairs;
            var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
            var (train, validation) = new ParallelDataset(pairs, text).Split(0.2);
            using var model = Seq2SeqModel.Create(device, text, Seq2SeqConfig.ForText(text, embeddingSize: 0, hiddenSize: 16), seed: 1);
            using var translator = model.CreateTranslator();
            using (var trainer = new Trainer(model, new TrainerOptions { Epochs = 2 }))
            {
                trainer.Fit(train, validation, progress: null, CancellationToken.None);
            }

            string french = translator.Translate("abc");
            ModelCheckpoint.Save(modelPath, model);

            Assert.That(french, Is.Not.Null);
            using var loaded = ModelCheckpoint.Load(device, modelPath).Model;
            using var loadedTranslator = loaded.CreateTranslator();
            Assert.That(loadedTranslator.Translate("abc"), Is.EqualTo(french));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
