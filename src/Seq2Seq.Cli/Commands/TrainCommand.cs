using System.CommandLine;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Distributed;
using Seq2Seq.Gpu.IO;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq train</c>: reads a corpus, builds the vocabularies (or takes them from <c>--resume</c>), creates the
/// model and runs <see cref="Trainer.Fit"/>, which writes the model, the <c>.last</c> checkpoint, the metrics CSV
/// and the curves SVG after every epoch. All training logic lives in the library.
/// </summary>
internal sealed class TrainCommand
{
    /// <summary>Embedding width when <c>--embedding</c> is not given and inputs are not one-hot.</summary>
    public const int DefaultEmbedding = 64;

    private CliContext context;
    private IGradientCommunicator ranks = SingleProcessCommunicator.Instance;
    private readonly Option<string> data = CommonOptions.Data("The training corpus: UTF-8, one 'source<TAB>target' pair a line (more tab-separated fields are ignored).");
    private readonly Option<int?> samples = CommonOptions.Samples();
    private readonly Option<bool> skipBadLines = CommonOptions.SkipBadLines();
    private readonly Option<string> level = new("--level")
    {
        Description = "Token level: char (Unicode code points) or word.",
        DefaultValueFactory = _ => "char",
        HelpName = "char|word",
    };

    private readonly Option<bool> kerasCompat = new("--keras-compat")
    {
        Description = "Reproduce the classic Keras lstm_seq2seq example: character level, its vocabulary (sorted characters, '\\t' and '\\n' markers), space padding to the dataset maxima, nothing masked, one-hot inputs unless --embedding is given.",
    };

    private readonly Option<int?> embedding = new("--embedding")
    {
        Description = $"Embedding width; 0 feeds one-hot vectors. Default: 0 with --keras-compat, else {DefaultEmbedding}.",
        HelpName = "E",
    };

    private readonly Option<int> maxLength = new("--max-length")
    {
        Description = $"The longest sentence to train on, in tokens of --level, on either side; a longer pair is an error (or, with --skip-bad-lines, skipped). Training memory grows with it.",
        DefaultValueFactory = _ => CorpusReadOptions.DefaultTrainingMaxLength,
        HelpName = "N",
    };

    private readonly Option<int> hidden = new("--hidden") { Description = "Units of every recurrent layer.", DefaultValueFactory = _ => 256, HelpName = "H" };
    private readonly Option<int> layers = new("--layers") { Description = $"Stacked recurrent layers in the encoder and in the decoder (1 to {Seq2SeqConfig.MaxLayers}).", DefaultValueFactory = _ => 1, HelpName = "L" };

    private readonly Option<string> cell = new("--cell")
    {
        Description = "The recurrent cell: lstm (the Keras example's, the default) or gru (Keras' reset_after=True GRU, as cuDNN and PyTorch compute it).",
        DefaultValueFactory = _ => "lstm",
        HelpName = "lstm|gru",
    };
    private readonly Option<bool> bidirectional = new("--bidirectional")
    {
        Description = "A bidirectional encoder (OpenNMT's): per layer a forward and a backward direction of H/2 units each (--hidden must be even); the decoder starts from both directions' final states. Default: off (the Keras model).",
    };

    private readonly Option<string> attention = new("--attention")
    {
        Description = "The decoder's attention over the encoder's outputs (Luong 2015, global, no input feeding): none (the Keras model, the default), dot (score h·ē) or general (score h·W_a·ē); the output layer then reads tanh(W_c[c; h]).",
        DefaultValueFactory = _ => "none",
        HelpName = "none|dot|general",
    };

    private readonly Option<int> batch = CommonOptions.Batch();

    private readonly Option<string> batching = new("--batching")
    {
        Description = "How an epoch is cut into batches: bucketed (the default: pairs of about one length together, sorted within windows of 100 batches of shuffled pairs, batches then shuffled) or slices (consecutive runs of shuffled pairs, as Keras does). Keras-compatible data is padded to the corpus's maxima, so it always takes slices.",
        DefaultValueFactory = _ => "bucketed",
        HelpName = "bucketed|slices",
    };

    private readonly Option<int> bucketWindow = new("--bucket-window")
    {
        Description = "With --batching bucketed: batches' worth of shuffled pairs sorted by length together (fewer: more varied batches, more padding).",
        DefaultValueFactory = _ => new BatchPlan().WindowBatches,
        HelpName = "N",
    };

    private readonly Option<int?> batchTokens = new("--batch-tokens")
    {
        Description = "Most padded positions a batch computes, pairs × (longest source + longest target steps); with it --batch is the most pairs a batch. Default: --batch pairs every batch.",
        HelpName = "N",
    };
    private readonly Option<int> epochs = new("--epochs") { Description = "Epochs to train, in total (a resumed run counts the checkpoint's epochs).", DefaultValueFactory = _ => 10, HelpName = "N" };
    private readonly Option<string> optimizer = new("--optimizer") { Description = "rmsprop (Keras defaults: rho 0.9, eps 1e-7) or adam.", DefaultValueFactory = _ => "rmsprop", HelpName = "rmsprop|adam" };
    private readonly Option<float> learningRate = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3f, HelpName = "X" };
    private readonly Option<float?> clip = new("--clip") { Description = "Clip the global gradient norm to X. Default: no clipping.", HelpName = "X" };
    private readonly Option<double> validationSplit = new("--val-split") { Description = "Fraction of the pairs, taken from the end of the file, held out for validation (Keras' validation_split); 0 for none.", DefaultValueFactory = _ => 0.2, HelpName = "F" };
    private readonly Option<double> dropout = new("--dropout")
    {
        Description = "Inverted dropout rate P in [0, 1) on the embedding outputs and between stacked layers, in training steps only (never in validation, eval or translate). Default: 0, none. A resumed run keeps its checkpoint's rate.",
        DefaultValueFactory = _ => 0,
        HelpName = "P",
    };

    private readonly Option<int?> patience = new("--patience") { Description = "Stop after N epochs without a lower validation loss. Default: never stop early.", HelpName = "N" };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of the initial weights and of the epoch shuffles.", DefaultValueFactory = _ => 1, HelpName = "S" };
    private readonly DeviceOptions device = new();
    private readonly Option<string> output = new("--out")
    {
        Description = "The model file to write, for translate and eval (the best epoch's weights when there is validation data; no optimizer state). Beside it: NAME.last.EXT (latest epoch with the optimizer's state, for --resume), NAME.metrics.csv, NAME.curves.svg.",
        Required = true,
        HelpName = "MODEL",
    };

    private readonly Option<string?> resume = new("--resume")
    {
        Description = "Continue the run saved in this checkpoint (usually the .last file): its vocabularies, shape, optimizer state and epoch count are kept; train until --epochs in total.",
        HelpName = "MODEL",
    };

    private readonly Option<bool> noVerify = CommonOptions.NoVerify();

    private readonly Option<bool> distributed = new("--distributed")
    {
        Description = "Data-parallel training, launched by 'mpirun -np N' (Open MPI): every rank reads the same corpus and options, takes 1/N of every batch of --batch pairs, and the gradients are summed across ranks each step, so N ranks train as one process with the same --batch; rank 0 alone writes the output. See docs/distributed.md.",
    };

    /// <summary>Creates the command.</summary>
    public TrainCommand(CliContext context)
    {
        this.context = context;
        level.AcceptOnlyFromAmong("char", "word");
        optimizer.AcceptOnlyFromAmong([.. Enum.GetValues<OptimizerKind>().Select(Optimizer.NameOf)]);
        NumericOptions.Range(embedding, 0);
        NumericOptions.Range(hidden, 1);
        NumericOptions.Range(maxLength, 1, CheckpointLimits.MaxSequenceLength - 2); // a longer model could not be saved
        NumericOptions.Range(layers, 1, Seq2SeqConfig.MaxLayers);
        cell.AcceptOnlyFromAmong("lstm", "gru");
        attention.AcceptOnlyFromAmong([.. AttentionKinds.Names]);
        batching.AcceptOnlyFromAmong("bucketed", "slices");
        NumericOptions.Range(batchTokens, 1);
        NumericOptions.Range(bucketWindow, 1);
        NumericOptions.Range(epochs, 1);
        NumericOptions.Range(patience, 1);
        NumericOptions.Range(seed, 0);
        NumericOptions.Positive(learningRate);
        NumericOptions.Positive(clip);
        NumericOptions.Fraction(validationSplit);
        NumericOptions.Fraction(dropout);

        Command = new Command("train", "Train a model on a parallel corpus (or resume a run) and save it with its metrics and curves.")
        {
            data, samples, skipBadLines, maxLength, level, kerasCompat, embedding, hidden, layers, cell, bidirectional, attention, batch, batching, bucketWindow, batchTokens, epochs, optimizer,
            learningRate, clip, dropout, validationSplit, patience, seed, output, resume, noVerify, distributed,
        };
        foreach (var option in device.All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    private int Run(ParseResult parse)
    {
        if (!parse.GetValue(distributed))
        {
            return RunRank(parse);
        }

        using var mpi = DistributedLaunch.Start();
        ranks = mpi;

        // Rank 0 reports for the job; mpirun forwards it line by line, so no live progress bar.
        context = context with { Out = mpi.Rank == 0 ? context.Out : TextWriter.Null, Interactive = false };

        return DistributedLaunch.Run(mpi, context, () => RunRank(parse));
    }

    private int RunRank(ParseResult parse)
    {
        if (parse.GetValue(kerasCompat) && parse.GetValue(level) == "word")
        {
            // Checked here rather than in a command validator: those run before the option values are converted.
            throw CliException.Usage("--keras-compat is character level only; it cannot be combined with --level word.");
        }

        if (parse.GetValue(bidirectional) && parse.GetValue(hidden) % 2 != 0)
        {
            throw CliException.Usage($"--bidirectional splits --hidden into two directions of H/2 units: {parse.GetValue(hidden)} is odd");
        }

        string resumePath = parse.GetValue(resume) ?? string.Empty;
        bool resuming = resumePath.Length > 0;
        CheckResumeOptions(parse, resuming);

        string outPath = Path.GetFullPath(parse.GetRequiredValue(output));
        if (Directory.Exists(outPath))
        {
            throw CliException.Usage($"--out '{outPath}' is a folder; give a model file name, e.g. model.s2s");
        }

        // The first step: the output is this run's (or the run fails here, naming the run that has it) and its folder
        // takes files, before any time goes into reading data or training.
        using OutputLock? outputLock = ranks.Rank == 0 ? LockOutput(parse, outPath) : null;

        // A resumed run counts lengths in its checkpoint's tokens, so the checkpoint is loaded before the corpus.
        ComputeDevice? dev = null;
        LoadedCheckpoint? loaded = null;
        try
        {
            TokenLevel lengthLevel = parse.GetValue(level) == "word" && !parse.GetValue(kerasCompat) ? TokenLevel.Word : TokenLevel.Character;
            if (resuming)
            {
                dev = device.Open(parse, context);
                loaded = CommonOptions.LoadCheckpoint(dev, resumePath, parse.GetValue(noVerify), context, inference: false, CommonOptions.Logger(parse, context));
                lengthLevel = loaded.Model.Text.Level;
            }

            CorpusReadResult corpus = CommonOptions.ReadCorpus(
                parse.GetRequiredValue(data), parse.GetValue(samples), 0, parse.GetValue(skipBadLines), parse.GetValue(maxLength), lengthLevel);
            IReadOnlyList<SentencePair> pairs = corpus.Pairs;
            double valSplit = parse.GetValue(validationSplit);
            int trainCount = (int)(pairs.Count * (1.0 - valSplit)); // ParallelDataset.Split's rule
            if (trainCount == 0)
            {
                throw CliException.Usage($"--val-split {valSplit} leaves no training pairs out of {pairs.Count:N0}");
            }

            dev ??= device.Open(parse, context);
            Seq2SeqModel model = loaded?.Model ?? CreateModel(parse, dev, pairs, trainCount);
            return Train(parse, outPath, outputLock, corpus, model, loaded, resumePath);
        }
        finally
        {
            dev?.Dispose();
        }
    }

    private int Train(ParseResult parse, string outPath, OutputLock? outputLock, CorpusReadResult corpus, Seq2SeqModel model, LoadedCheckpoint? loaded, string resumePath)
    {
        TextWriter outText = context.Out;
        IReadOnlyList<SentencePair> pairs = corpus.Pairs;
        double valSplit = parse.GetValue(validationSplit);

        using (model)
        {
            var dataset = new ParallelDataset(pairs, model.Text);
            var (train, validation) = dataset.Split(valSplit);
            outText.WriteLine($"data: {CommonOptions.DescribeCorpus(corpus)}; {train.Count:N0} train, {validation.Count:N0} validation");
            outText.WriteLine($"tokens: {Format.Text(model.Text)}");
            outText.WriteLine($"max lengths: source {dataset.MaxSourceLength:N0}, target {dataset.MaxTargetLength:N0} (with start and end markers)");
            outText.WriteLine($"model: {Format.Model(model)}");

            var options = new TrainerOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                Bucketed = parse.GetValue(batching) != "slices",
                BatchTokens = parse.GetValue(batchTokens),
                BucketWindow = parse.GetValue(bucketWindow),
                Optimizer = Optimizer.ParseKind(parse.GetValue(optimizer)),
                LearningRate = parse.GetValue(learningRate),
                ClipNorm = parse.GetValue(clip),
                Dropout = parse.GetValue(dropout),
                Patience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
                CheckpointPath = outPath,
                Logger = CommonOptions.Logger(parse, context),
            };

            Optimizer? resumedOptimizer = null;
            TrainingState? state = null;
            if (loaded is not null)
            {
                (resumedOptimizer, state) = ResumeState(parse, loaded, resumePath, options);
                options = options with { Seed = state.Seed, Dropout = state.Dropout };
            }

            using NcclCommunicator? nccl = DistributedLaunch.TryNccl(ranks, model.Device, outText);
            using var trainer = new Trainer(model, options, resumedOptimizer, state, outputLock, (IGradientCommunicator?)nccl ?? ranks);
            MemoryEstimate memory = trainer.EstimateMemory(train, validation);
            outText.WriteLine($"memory: {MemoryEstimate.FormatBytes(memory.TotalBytes)} for {memory.What}; {MemoryEstimate.FormatBytes(model.Device.AvailableMemoryBytes)} available");
            string clipText = options.ClipNorm is { } c ? $", clip {c}" : string.Empty;
            string patienceText = options.Patience is { } p ? $", patience {p}" : string.Empty;
            string dropoutText = options.Dropout > 0 ? $", dropout {options.Dropout}" : string.Empty;
            outText.WriteLine(
                $"training: {Plural(options.Epochs, "epoch")}, batch {options.BatchSize}, {trainer.Optimizer.Name} lr {trainer.Optimizer.LearningRate}{clipText}{dropoutText}{patienceText}, seed {options.Seed}");
            DistributedLaunch.Describe(trainer.Communicator, outText, options.BatchSize, model.Weights.Layout.TotalCount * sizeof(float));
            var plan = options.BatchPlanFor(train);
            var firstEpoch = train.PlanBatches(plan, options.Shuffle ? options.Seed : null, (state?.EpochsCompleted ?? 0) + 1);
            string budget = plan.BatchTokens is { } tokens ? $", at most {tokens:N0} padded positions" : string.Empty;
            outText.WriteLine(
                $"batches: {(plan.Bucketed ? $"bucketed by length (windows of {plan.WindowBatches})" : "slices")}{budget}, {firstEpoch.Count:N0} an epoch; {train.UsefulFraction(firstEpoch):P1} of the positions computed are tokens");

            var progress = new ConsoleProgressReporter(outText, context.Interactive);
            TrainingReport report;
            try
            {
                report = trainer.Fit(train, validation.Count > 0 ? validation : null, progress, context.Cancellation);
            }
            catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
            {
                progress.Clear();
                int done = trainer.State.EpochsCompleted;
                string saved = done > 0
                    ? $"epoch {done} is saved in {Trainer.LastCheckpointPath(outPath)} (continue with --resume {Trainer.LastCheckpointPath(outPath)})"
                    : "no epoch was completed, nothing was saved";
                context.Error.WriteLine($"seq2seq: cancelled during epoch {done + 1}; {saved}");
                return ExitCodes.Cancelled;
            }
            finally
            {
                progress.Clear();
            }

            WriteSummary(report, trainer, outPath, validation.Count > 0);
            DistributedLaunch.Summarize(ranks, outText);
        }

        return ExitCodes.Success;
    }

    private OutputLock LockOutput(ParseResult parse, string outPath)
    {
        string folder = Path.GetDirectoryName(outPath)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"the output folder '{folder}' cannot be created: {e.Message}");
        }

        string command = "seq2seq " + string.Join(' ', parse.Tokens.Select(t => t.Value));
        var taken = OutputLock.Acquire(outPath, command);
        if (taken.TakenOverFrom is { } stale)
        {
            context.Out.WriteLine($"note: took over the stale lock {taken.LockPath} of {stale}: that run ended without releasing it");
        }

        return taken;
    }

    private static string Plural(int count, string noun) => $"{count:N0} {noun}{(count == 1 ? string.Empty : "s")}";

    private void CheckResumeOptions(ParseResult parse, bool resuming)
    {
        if (!resuming)
        {
            if (CommonOptions.IsGiven(parse, noVerify))
            {
                throw CliException.Usage("--no-verify applies only to the checkpoint of --resume");
            }

            return;
        }

        Option[] shape = [level, kerasCompat, embedding, hidden, layers, cell, bidirectional, seed];
        Option? given = shape.FirstOrDefault(o => CommonOptions.IsGiven(parse, o));
        if (given is not null)
        {
            throw CliException.Usage($"{given.Name} cannot be combined with --resume '{parse.GetValue(resume)}': the model's shape, vocabularies and seed come from the checkpoint");
        }
    }

    private AttentionKind AttentionOf(ParseResult parse) => CommonOptions.Attention(parse.GetValue(attention));

    private Seq2SeqModel CreateModel(ParseResult parse, ComputeDevice dev, IReadOnlyList<SentencePair> pairs, int trainCount)
    {
        bool keras = parse.GetValue(kerasCompat);
        TokenLevel tokenLevel = parse.GetValue(level) == "word" ? TokenLevel.Word : TokenLevel.Character;
        VocabularyScheme scheme = keras ? VocabularyScheme.KerasCompatible : VocabularyScheme.Standard;

        // Keras builds its character sets from every pair (validation included), which is what makes its token
        // counts (71 / 93 for 10,000 pairs) come out; the standard scheme learns from the training part only, so
        // validation meets unknown tokens as new data would.
        IEnumerable<SentencePair> vocabularyPairs = keras ? pairs : pairs.Take(trainCount);
        TextEncoder text = TextEncoder.Build(vocabularyPairs, tokenLevel, scheme);
        int embeddingSize = parse.GetValue(embedding) ?? (keras ? 0 : DefaultEmbedding);
        var cellKind = parse.GetValue(cell) == "gru" ? CellKind.Gru : CellKind.Lstm;
        var config = Seq2SeqConfig.ForText(text, embeddingSize, parse.GetValue(hidden), parse.GetValue(layers), cellKind, parse.GetValue(bidirectional), AttentionOf(parse));
        return Seq2SeqModel.Create(dev, text, config, parse.GetValue(seed));
    }

    private (Optimizer Optimizer, TrainingState State) ResumeState(ParseResult parse, LoadedCheckpoint loaded, string path, TrainerOptions options)
    {
        if (loaded.Optimizer is not { } resumed || TrainingCheckpoint.StateOf(loaded) is not { } state)
        {
            throw new CliException($"checkpoint '{path}' holds a model but no training state (optimizer and epochs), so its run cannot be resumed; a run's state is in its .last file ({Trainer.LastCheckpointPath(path)})");
        }

        if (CommonOptions.IsGiven(parse, optimizer) && options.Optimizer != resumed.Kind)
        {
            throw CliException.Usage($"--optimizer {parse.GetValue(optimizer)} differs from the checkpoint's optimizer ({resumed.Name}), whose state the run continues");
        }

        var stored = loaded.Model.Config.Attention;
        if (CommonOptions.IsGiven(parse, attention) && AttentionOf(parse) != stored)
        {
            throw CliException.Usage(
                $"--attention {parse.GetValue(attention)} contradicts checkpoint '{path}', whose model has {(stored == AttentionKind.None ? "no attention" : $"{stored.Name()} attention")}; a resumed run keeps its model");
        }

        if (CommonOptions.IsGiven(parse, dropout) && options.Dropout != state.Dropout)
        {
            // The masks follow from the rate, the seed and the step, so the run continues exactly only with its own rate.
            throw CliException.Usage($"--dropout {options.Dropout} differs from the checkpoint's dropout ({state.Dropout}); a resumed run keeps its rate");
        }

        if (options.Epochs <= state.EpochsCompleted)
        {
            throw CliException.Usage($"--epochs {options.Epochs}: the checkpoint has already completed {state.EpochsCompleted} epochs; ask for more to continue");
        }

        if (CommonOptions.IsGiven(parse, learningRate) && options.LearningRate != resumed.LearningRate)
        {
            // The optimizer's moments live in the model's weight store, so a new learning rate keeps them.
            Optimizer changed = Optimizer.Create(resumed.Kind, options.LearningRate);
            changed.RestoreSteps(resumed.Steps);
            resumed = changed;
        }

        context.Out.WriteLine(
            $"resuming: {path}: {Plural(state.EpochsCompleted, "epoch")} done, {resumed.Name} lr {resumed.LearningRate} at step {resumed.Steps:N0}");
        return (resumed, state);
    }

    private void WriteSummary(TrainingReport report, Trainer trainer, string outPath, bool validated)
    {
        TextWriter outText = context.Out;
        TrainingState state = trainer.State;
        if (report.StoppedEarly)
        {
            outText.WriteLine($"stopped early: no lower validation loss for {Plural(state.EpochsWithoutImprovement, "epoch")}");
        }

        outText.WriteLine($"done: {Plural(state.EpochsCompleted, "epoch")}, {Format.Seconds(report.Seconds)} in this run");
        string modelNote = validated && trainer.Options.KeepBest
            ? $"weights of epoch {state.BestEpoch}, the lowest val_loss"
            : $"epoch {state.EpochsCompleted}";
        outText.WriteLine(File.Exists(outPath)
            ? $"model:      {outPath} ({modelNote})"
            : $"model:      not written: no epoch of this run improved on the checkpoint's best val_loss (epoch {state.BestEpoch})");
        outText.WriteLine($"checkpoint: {Trainer.LastCheckpointPath(outPath)} (epoch {state.EpochsCompleted}, for --resume)");
        outText.WriteLine($"metrics:    {Trainer.MetricsPath(outPath)}");
        outText.WriteLine($"curves:     {Trainer.CurvesPath(outPath)}");
    }
}
