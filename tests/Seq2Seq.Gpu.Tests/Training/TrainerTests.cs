using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Tests.Training;

public sealed class TrainerTests
{
    private string directory = string.Empty;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("seq2seq-trainer-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [TestCase(OptimizerKind.RmsProp, 0.0)]
    [TestCase(OptimizerKind.Adam, 0.0)]
    [TestCase(OptimizerKind.RmsProp, 0.3)]
    [TestCase(OptimizerKind.Adam, 0.5)]
    public void Resuming_from_a_checkpoint_continues_exactly_as_an_uninterrupted_run(OptimizerKind optimizer, double dropout)
    {
        var (train, validation) = Data(48);
        var options = new TrainerOptions { Epochs = 3, BatchSize = 8, Optimizer = optimizer, ClipNorm = 5f, Seed = 4, Dropout = dropout, CheckpointPath = Path.Combine(directory, "a.s2s") };

        // Two layers, so that dropout acts between layers as well as on the embeddings.
        using var straight = NewModel(train, layers: dropout > 0 ? 2 : 1);
        using (var trainer = new Trainer(straight, options))
        {
            trainer.Fit(train, validation);
        }

        var firstLeg = options with { Epochs = 1, CheckpointPath = Path.Combine(directory, "b.s2s") };
        using (var interrupted = NewModel(train, layers: dropout > 0 ? 2 : 1))
        using (var trainer = new Trainer(interrupted, firstLeg))
        {
            trainer.Fit(train, validation);
        }

        var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), Trainer.LastCheckpointPath(firstLeg.CheckpointPath!));
        using var resumed = loaded.Model;
        Assert.That(TrainingCheckpoint.StateOf(loaded)!.EpochsCompleted, Is.EqualTo(1));
        Assert.That(TrainingCheckpoint.StateOf(loaded)!.Dropout, Is.EqualTo(dropout), "the checkpoint records the run's dropout");
        using (var trainer = new Trainer(resumed, options with { CheckpointPath = firstLeg.CheckpointPath }, loaded.Optimizer, TrainingCheckpoint.StateOf(loaded)))
        {
            var report = trainer.Fit(train, validation);
            Assert.That(report.History.Select(h => h.Epoch), Is.EqualTo(new[] { 1, 2, 3 }));
        }

        Assert.That(resumed.Weights.Weights.ToArray(), Is.EqualTo(straight.Weights.Weights.ToArray()), "weights after 3 epochs");
        Assert.That(loaded.Optimizer!.Steps, Is.EqualTo(3 * train.BatchCount(8)));
        Assert.That(resumed.Weights.OptimizerState(0).ToArray(), Is.EqualTo(straight.Weights.OptimizerState(0).ToArray()), "optimizer state");
    }

    [Test]
    public void Training_is_deterministic_and_lowers_the_loss()
    {
        var (train, validation) = Data(64);
        var options = new TrainerOptions { Epochs = 4, BatchSize = 16, Seed = 9, LearningRate = 0.01f };
        using var a = NewModel(train);
        using var b = NewModel(train);
        TrainingReport ra, rb;
        using (var trainer = new Trainer(a, options))
        {
            ra = trainer.Fit(train, validation);
        }

        using (var trainer = new Trainer(b, options))
        {
            rb = trainer.Fit(train, validation);
        }

        Assert.That(a.Weights.Weights.ToArray(), Is.EqualTo(b.Weights.Weights.ToArray()));
        Assert.That(ra.History.Select(h => h.TrainLoss), Is.EqualTo(rb.History.Select(h => h.TrainLoss)));
        Assert.That(ra.History[^1].TrainLoss, Is.LessThan(ra.History[0].TrainLoss * 0.9));
        Assert.That(ra.History.All(h => h.ValidationLoss is not null), Is.True);
    }

    [Test]
    public void A_nan_loss_stops_training_without_applying_the_step_and_keeps_the_last_good_checkpoint()
    {
        var (train, _) = Data(16);
        string path = Path.Combine(directory, "m.s2s");
        using var model = NewModel(train);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = path });
        trainer.Fit(train);
        byte[] good = File.ReadAllBytes(path);

        var bias = model.Weights.ReadTensor("output.bias");
        bias[0] = float.NaN;
        model.Weights.WriteTensor("output.bias", bias);
        var kernelBefore = model.Weights.ReadTensor("decoder.lstm.0.kernel");
        using var next = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 8, CheckpointPath = path }, trainer.Optimizer, trainer.State);

        Assert.That(() => next.Fit(train), Throws.TypeOf<TrainingDivergedException>().With.Message.Contains("NaN"));
        Assert.That(model.Weights.ReadTensor("decoder.lstm.0.kernel"), Is.EqualTo(kernelBefore), "the failing step changed nothing");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(good), "the last good checkpoint is untouched");
        Assert.That(() => ModelCheckpoint.Save(Path.Combine(directory, "nan.s2s"), model), Throws.TypeOf<CheckpointException>().With.Message.Contains("output.bias"));
    }

    [Test]
    public void Fit_writes_checkpoint_metrics_and_curves_and_early_stopping_keeps_the_best_weights()
    {
        var (train, validation) = Data(32);
        string path = Path.Combine(directory, "m.s2s");
        using var model = NewModel(train);

        // A learning rate this high makes validation loss rise after the first epochs: early stopping must act.
        var options = new TrainerOptions { Epochs = 12, BatchSize = 4, LearningRate = 0.2f, Patience = 2, CheckpointPath = path };
        using var trainer = new Trainer(model, options);
        var report = trainer.Fit(train, validation);

        Assert.That(File.Exists(path) && File.Exists(Trainer.LastCheckpointPath(path)), Is.True);
        Assert.That(MetricsLog.Read(Trainer.MetricsPath(path)), Has.Count.EqualTo(report.History.Count));
        Assert.That(File.ReadAllText(Trainer.CurvesPath(path)), Does.Contain("<svg"));
        var best = report.History.MinBy(h => h.ValidationLoss)!;
        Assert.That(report.BestEpoch, Is.EqualTo(best.Epoch));
        if (report.StoppedEarly)
        {
            Assert.That(report.History, Has.Count.EqualTo(best.Epoch + 2));
        }

        // The model in memory and the saved model both hold the best epoch's weights.
        using var evaluator = new Trainer(model, options with { CheckpointPath = null });
        Assert.That(evaluator.Evaluate(validation).MeanLoss, Is.EqualTo(best.ValidationLoss!.Value).Within(1e-6));
        using var saved = ModelCheckpoint.Load(TestDevices.Cpu(), path).Model;
        Assert.That(saved.Weights.Weights.ToArray(), Is.EqualTo(model.Weights.Weights.ToArray()));
    }

    [TestCase(VocabularyScheme.KerasCompatible)]
    [TestCase(VocabularyScheme.Standard)]
    public void Evaluating_the_validation_pairs_later_reproduces_the_last_validation_figures(VocabularyScheme scheme)
    {
        // The longest pair comes first, so it is in the training part: the validation pairs alone are shorter.
        var pairs = TinyTasks.Reverse(40, 3, 33);
        pairs.Insert(0, new SentencePair("abcdefab", "bafedcba"));
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var (train, validation) = new ParallelDataset(pairs, text).Split(0.25);
        using var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, 0, 8), seed: 5);
        using var trainer = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 8, KeepBest = false });
        var last = trainer.Fit(train, validation).History[^1];

        // The held-out pairs as new data: a dataset of their own, whose own maxima are shorter than the corpus's.
        var later = new ParallelDataset(validation.Pairs, text);
        Assert.That(later.MaxSourceLength, Is.LessThan(model.MaxSourceLength));
        var result = trainer.Evaluate(later);

        Assert.That(result.MeanLoss, Is.EqualTo(last.ValidationLoss!.Value).Within(1e-9));
        Assert.That(result.Accuracy, Is.EqualTo(last.ValidationAccuracy!.Value).Within(1e-9));
    }

    [Test]
    public void Invalid_options_are_rejected_with_the_option_named()
    {
        Assert.That(() => new TrainerOptions { BatchSize = 0 }.Validate(), Throws.ArgumentException.With.Message.Contains("batch size"));
        Assert.That(() => new TrainerOptions { Optimizer = (OptimizerKind)7 }.Validate(), Throws.ArgumentException.With.Message.Contains("optimizer kind 7"));
        Assert.That(() => new TrainerOptions { Seed = -1 }.Validate(), Throws.ArgumentException.With.Message.Contains("seed"));
        Assert.That(() => new TrainerOptions { LearningRate = float.NaN }.Validate(), Throws.ArgumentException.With.Message.Contains("learning rate"));
        Assert.That(() => new TrainerOptions { Dropout = 1 }.Validate(), Throws.ArgumentException.With.Message.Contains("dropout"));
        Assert.That(() => new TrainerOptions { Dropout = -0.1 }.Validate(), Throws.ArgumentException.With.Message.Contains("dropout"));
        Assert.That(() => new TrainerOptions { Dropout = double.NaN }.Validate(), Throws.ArgumentException.With.Message.Contains("dropout"));
    }

    [Test]
    public void Dropout_changes_training_and_a_resumed_run_must_keep_its_rate()
    {
        var (train, _) = Data(16);
        var batch = train.GetBatches(16).Single();
        using var plain = NewModel(train, layers: 2);
        using var dropped = NewModel(train, layers: 2);
        using (var a = new Trainer(plain, new TrainerOptions()))
        using (var b = new Trainer(dropped, new TrainerOptions { Dropout = 0.4 }))
        {
            Assert.That(b.TrainBatch(batch).LossSum, Is.Not.EqualTo(a.TrainBatch(batch).LossSum), "dropout changes the training loss");
        }

        var state = new TrainingState(1, null, 0, 0, 1, [], Dropout: 0.3);
        Assert.That(() => new Trainer(plain, new TrainerOptions { Dropout = 0.5 }, state: state), Throws.ArgumentException.With.Message.Contains("dropout"));
        Assert.That(() => new Trainer(plain, new TrainerOptions(), state: state), Throws.ArgumentException.With.Message.Contains("dropout"));
        using var kept = new Trainer(plain, new TrainerOptions { Dropout = 0.3 }, state: state);
        Assert.That(kept.State.Dropout, Is.EqualTo(0.3));
    }

    [Test]
    public void A_checkpoint_written_before_dropout_was_recorded_resumes_without_dropout()
    {
        var (train, _) = Data(8);
        using var model = NewModel(train);
        string path = Path.Combine(directory, "old.s2s");
        var state = new TrainingState(1, null, 0, 0, 7, []);
        string json = System.Text.Json.JsonSerializer.Serialize(state, CheckpointJson.Options);
        Assert.That(json, Does.Contain("\"dropout\":0"));
        ModelCheckpoint.Save(path, model, Optimizers.Optimizer.Create("rmsprop", 1e-3f), new Dictionary<string, string> { [TrainingCheckpoint.MetadataKey] = json.Replace(",\"dropout\":0", string.Empty, StringComparison.Ordinal) });

        var loaded = ModelCheckpoint.Load(TestDevices.Cpu(), path);
        using var resumed = loaded.Model;
        Assert.That(TrainingCheckpoint.StateOf(loaded)!.Dropout, Is.EqualTo(0));
        Assert.That(TrainingCheckpoint.StateOf(loaded)!.Seed, Is.EqualTo(7));
    }

    [Test]
    public void A_batch_with_ids_outside_the_vocabulary_is_a_shape_error()
    {
        var (train, _) = Data(8);
        using var model = NewModel(train);
        using var trainer = new Trainer(model, new TrainerOptions());
        // A batch made for a larger vocabulary (letters the model never saw) fed to the smaller model.
        var widePairs = TinyTasks.Reverse(8, 4, 22, alphabet: "uvwxyz");
        var wide = TextEncoder.Build(widePairs.Concat(TinyTasks.Reverse(8, 4, 21)), TokenLevel.Character, VocabularyScheme.Standard);
        var bad = new ParallelDataset(widePairs, wide).GetBatches(8).First();
        Assert.That(() => trainer.TrainBatch(bad), Throws.TypeOf<ShapeException>().With.Message.Contains("outside the model's vocabulary"));
    }

    private static (ParallelDataset Train, ParallelDataset Validation) Data(int count)
    {
        var pairs = TinyTasks.Reverse(count, 4, 21);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        return new ParallelDataset(pairs, text).Split(0.25);
    }

    private static Seq2SeqModel NewModel(ParallelDataset train, int layers = 1) =>
        Seq2SeqModel.Create(TestDevices.Cpu(), train.Encoder, Seq2SeqConfig.ForText(train.Encoder, 4, 8, layers), seed: 5);
}
