using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// Decoding on a model trained once (per run) on a small reversal task: accuracy, agreement with the reference
/// model, beam search, the shared weight store, save/load, odd inputs and concurrent callers.
/// </summary>
public sealed class TranslatorTests
{
    private static readonly Lazy<TrainedTask> Task = new(TrainedTask.Create);

    private static Seq2SeqModel Model => Task.Value.Model;

    [OneTimeTearDown]
    public static void DisposeModel()
    {
        if (Task.IsValueCreated)
        {
            Task.Value.Model.Dispose();
        }
    }

    [Test]
    public void Greedy_decoding_after_training_reverses_held_out_sequences()
    {
        using var translator = Model.CreateTranslator();
        var heldOut = Task.Value.HeldOut;

        var outputs = translator.Translate(heldOut.Select(p => p.Source).ToList());

        double exact = outputs.Zip(heldOut, (o, p) => o == p.Target ? 1.0 : 0.0).Average();
        Assert.That(exact, Is.GreaterThanOrEqualTo(0.9), string.Join(", ", outputs.Zip(heldOut, (o, p) => $"{p.Source}→{o}").Take(12)));
        Assert.That(outputs.Distinct().Count(), Is.GreaterThan(heldOut.Count / 2), "different inputs give different outputs");
    }

    [Test]
    public void Kernel_greedy_decoding_equals_the_reference_model_greedy_decoding()
    {
        using var translator = Model.CreateTranslator();
        var reference = ReferenceModels.Of(Model);
        var sources = Task.Value.HeldOut.Select(p => Model.Text.EncodeSource(p.Source)).ToList();
        var vocabulary = Model.Text.TargetVocabulary;

        var kernel = translator.DecodeIds(sources);

        for (int i = 0; i < sources.Count; i++)
        {
            var expected = reference.GreedyDecode(sources[i], vocabulary.StartId, vocabulary.EndId, translator.MaxLength);
            Assert.That(kernel[i], Is.EqualTo(expected), $"sentence {i}");
        }
    }

    [Test]
    public void Beam_width_one_is_greedy_and_device_beam_search_equals_reference_beam_search()
    {
        using var greedy = Model.CreateTranslator();
        using var beam1 = Model.CreateTranslator(new DecodingOptions { BeamWidth = 1 });
        using var beam3 = Model.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 3 });
        var sources = Task.Value.HeldOut.Take(6).Select(p => Model.Text.EncodeSource(p.Source)).ToList();
        var vocabulary = Model.Text.TargetVocabulary;

        var device1 = BeamSearch.Search(new DeviceScorerProbe(beam1), sources, 1, 1, vocabulary.StartId, vocabulary.EndId, beam1.MaxLength, 1.0);
        Assert.That(device1.Select(h => h[0].Tokens), Is.EqualTo(greedy.DecodeIds(sources)));

        var scorer = new ReferenceStepScorer(ReferenceModels.Of(Model));
        var reference3 = BeamSearch.Search(scorer, sources, 3, 3, vocabulary.StartId, vocabulary.EndId, beam3.MaxLength, 1.0);
        for (int i = 0; i < sources.Count; i++)
        {
            var nbest = beam3.TranslateNBest(Task.Value.HeldOut[i].Source, 3);
            Assert.That(nbest.Select(h => h.Tokens), Is.EqualTo(reference3[i].Select(h => h.Tokens)), $"sentence {i}");
            Assert.That(nbest.Select(h => h.Score), Is.Ordered.Descending);
            Assert.That(nbest.Select(h => h.LogProbability), Is.EqualTo(reference3[i].Select(h => h.LogProbability)).Within(1e-4));
        }
    }

    [Test]
    public void A_translator_reads_the_models_weight_store_and_sees_training_steps()
    {
        var pairs = TinyTasks.Reverse(16, 3, 77);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var data = new ParallelDataset(pairs, text);
        using var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 16, 64), seed: 1);
        long before = model.Device.AllocatedBytes;
        using var translator = model.CreateTranslator();
        var batch = data.GetBatches(16).Single();
        var logitsBefore = translator.StepByStepLogits(batch);
        long translatorBytes = model.Device.AllocatedBytes - before;

        Assert.That(translator.Weights, Is.SameAs(model.Weights));
        Assert.That(translatorBytes, Is.LessThan(model.Weights.Weights.Bytes), "the translator holds activations only, no copy of the weights");

        using var trainer = new Trainer(model, new TrainerOptions { LearningRate = 0.05f });
        trainer.TrainBatch(batch);
        var logitsAfter = translator.StepByStepLogits(batch);

        Assert.That(logitsAfter, Is.Not.EqualTo(logitsBefore), "the same translator sees the new weights");
        Assert.That(logitsAfter, Is.EqualTo(model.CreateTranslator().StepByStepLogits(batch)), "and computes exactly what a new translator computes");
    }

    [Test]
    public void Save_load_translate_gives_the_same_outputs()
    {
        string path = Path.Combine(Path.GetTempPath(), $"seq2seq-{Guid.NewGuid():N}.s2s");
        try
        {
            using var translator = Model.CreateTranslator();
            var sources = Task.Value.HeldOut.Select(p => p.Source).ToList();
            var before = translator.Translate(sources);
            ModelCheckpoint.Save(path, Model);
            using var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), path).Model;
            using var loadedTranslator = loaded.CreateTranslator();
            Assert.That(loadedTranslator.Translate(sources), Is.EqualTo(before));
            Assert.That(loadedTranslator.MaxLength, Is.EqualTo(translator.MaxLength));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Unknown_symbols_empty_input_and_length_limits_are_handled()
    {
        using var translator = Model.CreateTranslator(new DecodingOptions { MaxLength = 2 });
        var results = translator.TranslateDetailed(["", "zz€", "abcd"]);

        Assert.That(results[0].Text, Is.Empty);
        Assert.That(results[1].Tokens.Count, Is.LessThanOrEqualTo(2), "unknown symbols decode like UNK, within the length limit");
        Assert.That(results[2].Tokens.Count, Is.LessThanOrEqualTo(2));
        Assert.That(() => Model.CreateTranslator(new DecodingOptions { BeamWidth = 0 }), Throws.ArgumentException.With.Message.Contains("beam width"));
    }

    [Test]
    public void Concurrent_callers_get_the_same_results_as_sequential_ones()
    {
        using var translator = Model.CreateTranslator();
        using var beam = Model.CreateTranslator(new DecodingOptions { BeamWidth = 2 });
        var sources = Task.Value.HeldOut.Select(p => p.Source).ToList();
        var sequential = sources.Select(s => translator.Translate(s)).ToList();
        var sequentialBeam = sources.Select(s => beam.Translate(s)).ToList();

        var parallel = new string[sources.Count];
        var parallelBeam = new string[sources.Count];
        Parallel.For(0, sources.Count * 2, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            if (i % 2 == 0)
            {
                parallel[i / 2] = translator.Translate(sources[i / 2]);
            }
            else
            {
                parallelBeam[i / 2] = beam.Translate(sources[i / 2]);
            }
        });

        Assert.That(parallel, Is.EqualTo(sequential));
        Assert.That(parallelBeam, Is.EqualTo(sequentialBeam));
    }

    [Test]
    public void Disposing_while_another_thread_translates_waits_for_that_call_and_refuses_later_ones()
    {
        var translator = Model.CreateTranslator(new DecodingOptions { BeamWidth = 2 });
        var sources = Task.Value.HeldOut.Select(p => p.Source).ToList();
        var expected = sources.Select(s => translator.Translate(s)).ToList();
        var completed = new List<string>();
        using var firstDone = new SemaphoreSlim(0);

        // Translates until the translator refuses: every call either completes with the right result or throws
        // ObjectDisposedException, whichever side of the Dispose it falls on; none reads freed buffers.
        var worker = System.Threading.Tasks.Task.Run(() =>
        {
            for (int i = 0; ; i++)
            {
                completed.Add(translator.Translate(sources[i % sources.Count]));
                if (i == 0)
                {
                    firstDone.Release();
                }
            }
        });
        firstDone.Wait();
        translator.Dispose();

        // Refused by the translator itself, not failed by a freed buffer inside a call that Dispose did not wait for.
        Assert.That(() => worker.GetAwaiter().GetResult(), Throws.TypeOf<ObjectDisposedException>().With.Property(nameof(ObjectDisposedException.ObjectName)).EqualTo(typeof(Translator).FullName));
        Assert.That(completed, Is.Not.Empty);
        Assert.That(completed, Is.EqualTo(completed.Select((_, i) => expected[i % sources.Count])), "every call that completed gave the right translation");
        Assert.Throws<ObjectDisposedException>(() => translator.Translate(sources[0]));
        Assert.Throws<ObjectDisposedException>(() => translator.TranslateNBest(string.Empty), "even an empty sentence, answered without the device");
        translator.Dispose();
    }


    /// <summary>Beam search driven through a translator's public n-best path would hide the scorer; this drives the device scorer directly.</summary>
    private sealed class DeviceScorerProbe(Translator translator) : IStepScorer
    {
        private readonly IStepScorer inner = translator.CreateScorer();

        public int VocabularySize => inner.VocabularySize;

        public void Start(IReadOnlyList<int[]> sources, int rowsPerSource) => inner.Start(sources, rowsPerSource);

        public double[] Advance(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens) => inner.Advance(parents, tokens);
    }

    private sealed record TrainedTask(Seq2SeqModel Model, IReadOnlyList<SentencePair> HeldOut)
    {
        public static TrainedTask Create()
        {
            var pairs = TinyTasks.Reverse(640, 4, 5, alphabet: "abcde");
            var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
            var (train, validation) = new ParallelDataset(pairs, text).Split(0.1);
            var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 8, 32), seed: 3);
            using var trainer = new Trainer(model, new TrainerOptions { Epochs = 30, BatchSize = 32, Optimizer = OptimizerKind.Adam, LearningRate = 0.01f, Seed = 2 });
            trainer.Fit(train, validation);
            return new TrainedTask(model, validation.Pairs.ToList());
        }
    }
}
