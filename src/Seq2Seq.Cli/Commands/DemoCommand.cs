using System.CommandLine;
using System.Diagnostics;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Evaluation;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq demo</c>: the whole engine in a few minutes with nothing to download. Trains a small word-level
/// model on the English-French sample embedded in this program (the first 3,000 pairs of the classic Keras
/// example's fra.txt; Tatoeba via manythings.org, CC-BY 2.0), holding out the last 10 %, then translates training
/// and held-out sentences with the trained weights, beside their references.
/// </summary>
internal sealed class DemoCommand
{
    /// <summary>Attribution printed with the data, as its licence requires.</summary>
    public const string Attribution = "English-French pairs from the Tatoeba Project via www.manythings.org/anki and tatoeba.org (CC-BY 2.0)";

    private const string Resource = "Seq2Seq.Cli.Demo.fra-eng-sample.txt";

    /// <summary>The demo's attention: the one whose held-out scores were best within its minute (docs/training.md).</summary>
    private const string DefaultAttention = "dot";

    private readonly CliContext context;
    private readonly DeviceOptions device = new();
    private readonly Option<int> epochs = new("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 25, HelpName = "N" };
    private readonly Option<int?> samples = CommonOptions.Samples();
    private readonly Option<int> hidden = new("--hidden") { Description = "LSTM units.", DefaultValueFactory = _ => 256, HelpName = "H" };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of initialisation and shuffling.", DefaultValueFactory = _ => 1, HelpName = "S" };
    private readonly Option<string> attention = new("--attention")
    {
        Description = "The decoder's attention: none (the Keras model), dot or general (see train --attention).",
        DefaultValueFactory = _ => DefaultAttention,
        HelpName = "none|dot|general",
    };

    private readonly Option<string?> output = new("--out") { Description = "Also save the trained model here.", HelpName = "MODEL" };

    /// <summary>Creates the command.</summary>
    public DemoCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(epochs, 1);
        NumericOptions.Range(hidden, 1);
        NumericOptions.Range(seed, 0);
        attention.AcceptOnlyFromAmong([.. AttentionKinds.Names]);
        Command = new Command("demo", "Train a small English-French model on the embedded sample, then translate with it (a few minutes on 2 CPU cores).")
        {
            epochs, samples, hidden, attention, seed, output,
        };
        foreach (var option in device.All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    /// <summary>Reads the embedded sample.</summary>
    internal static CorpusReadResult ReadSample(int? samples)
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the embedded resource {Resource} is missing from this build");
        return CorpusReader.Read(stream, "embedded fra-eng sample", new CorpusReadOptions { MaxPairs = samples });
    }

    private int Run(ParseResult parse)
    {
        TextWriter o = context.Out;
        var clock = Stopwatch.StartNew();
        var corpus = ReadSample(parse.GetValue(samples));
        o.WriteLine($"data: {corpus.Pairs.Count:N0} pairs embedded in this program; {Attribution}");

        using ComputeDevice dev = device.Open(parse, context);
        int split = (int)(corpus.Pairs.Count * 0.9);
        var trainPairs = corpus.Pairs.Take(split).ToList();
        var heldOut = corpus.Pairs.Skip(split).ToList();
        var text = TextEncoder.Build(trainPairs, TokenLevel.Word, VocabularyScheme.Standard);
        var train = new ParallelDataset(trainPairs, text);
        var validation = new ParallelDataset(heldOut, text);
        int seedValue = parse.GetValue(seed);
        using var model = Seq2SeqModel.Create(dev, text, Seq2SeqConfig.ForText(text, 64, parse.GetValue(hidden), attention: CommonOptions.Attention(parse.GetValue(attention))), seedValue);
        o.WriteLine($"model: {Format.Text(text)}; {Format.Model(model)}");
        o.WriteLine($"training on {train.Count:N0} pairs, {validation.Count:N0} held out ...");

        var options = new TrainerOptions
        {
            Epochs = parse.GetValue(epochs),
            BatchSize = 64,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.005f,
            ClipNorm = 5f,
            Seed = seedValue,
            KeepBest = false,
        };
        using (var trainer = new Trainer(model, options))
        {
            trainer.Fit(train, validation, new ConsoleProgressReporter(o, context.Interactive), context.Cancellation);
        }

        if (parse.GetValue(output) is { } path)
        {
            ModelCheckpoint.Save(path, model);
            o.WriteLine($"saved: {path}");
        }

        using var translator = model.CreateTranslator();
        var shown = trainPairs.Where((_, i) => i % (trainPairs.Count / 6) == 3).Take(6).Concat(heldOut.Where((_, i) => i % (heldOut.Count / 6) == 1).Take(6)).ToList();
        var outputs = translator.Translate(shown.Select(p => p.Source).ToList());
        o.WriteLine();
        for (int i = 0; i < shown.Count; i++)
        {
            o.WriteLine($"{(i < 6 ? "train   " : "held-out")}  {shown[i].Source,-22} → {outputs[i],-28} (reference: {shown[i].Target})");
        }

        var heldOutOutputs = translator.Translate(heldOut.Select(p => p.Source).ToList());
        var scores = TranslationMetrics.Score(heldOutOutputs, heldOut.Select(p => text.NormalizeTarget(p.Target)).ToList());
        o.WriteLine();
        o.WriteLine($"held-out ({heldOut.Count} pairs, greedy): exact match {scores.ExactMatch:P1}, chrF {scores.ChrF:0.0}, BLEU {scores.Bleu:0.0}");
        o.WriteLine($"done in {Format.Seconds(clock.Elapsed.TotalSeconds)} on {dev.Info.Name} [{dev.Ops.Backend}]");
        return ExitCodes.Success;
    }
}
