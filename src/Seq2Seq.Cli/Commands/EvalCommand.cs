using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Evaluation;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq eval</c>: teacher-forced loss and token accuracy of a saved model on pairs from a corpus, encoded
/// with the model's own vocabularies (unknown symbols become UNK).
/// </summary>
/// <remarks>
/// The loss and accuracy are <see cref="Trainer.Evaluate"/>'s, which pads as training did (see there); pairs
/// longer than the model's training maxima are still evaluated and counted in <see cref="EvalResult.LongerThanTraining"/>.
/// </remarks>
internal sealed class EvalCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly CliContext context;
    private readonly Option<string> model = new("--model") { Description = "The model file (written by train).", Required = true, HelpName = "MODEL" };
    private readonly Option<string> data = CommonOptions.Data("The pairs to evaluate: UTF-8, one 'source<TAB>target' pair a line.");
    private readonly Option<int?> samples = CommonOptions.Samples();
    private readonly Option<int> skip = new("--skip") { Description = "Pass over the first N pairs (e.g. the pairs the model was trained on).", DefaultValueFactory = _ => 0, HelpName = "N" };
    private readonly Option<bool> skipBadLines = CommonOptions.SkipBadLines();
    private readonly DeviceOptions device = new();
    private readonly Option<bool> noVerify = CommonOptions.NoVerify();
    private readonly Option<int> batch = CommonOptions.Batch();
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object (loss, accuracy, pairs, tokens, exact_match, chrf, bleu, ...) and nothing else." };
    private readonly Option<int> beam = new("--beam") { Description = "Beam width of the decoding metrics; 1 is greedy.", DefaultValueFactory = _ => 1, HelpName = "K" };
    private readonly Option<string> precision = CommonOptions.Precision();
    private readonly Option<bool> noDecode = new("--no-decode") { Description = "Skip decoding: teacher-forced loss and accuracy only." };

    /// <summary>Creates the command.</summary>
    public EvalCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(skip, 0);
        NumericOptions.Range(beam, 1);
        Command = new Command("eval", "Evaluate a saved model on pairs from a corpus: teacher-forced loss and token accuracy, then exact match, chrF and BLEU of its translations.")
        {
            model, data, samples, skip, skipBadLines, noVerify, batch, beam, precision, noDecode, json,
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
        bool asJson = parse.GetValue(json);
        string modelPath = parse.GetRequiredValue(model);
        string dataPath = parse.GetRequiredValue(data);
        int batchSize = parse.GetValue(batch);

        CorpusReadResult corpus = CommonOptions.ReadCorpus(dataPath, parse.GetValue(samples), parse.GetValue(skip), parse.GetValue(skipBadLines));
        using ComputeDevice dev = device.Open(parse, context, quiet: asJson);
        LoadedCheckpoint loaded = CommonOptions.LoadCheckpoint(dev, modelPath, parse.GetValue(noVerify), context, inference: true, CommonOptions.Logger(parse, context));
        using Seq2SeqModel m = loaded.Model;

        // Made before the teacher-forced pass, so that a precision the device cannot decode in fails at once.
        int beamWidth = parse.GetValue(beam);
        var weightPrecision = CommonOptions.ParsePrecision(parse.GetValue(precision));
        using var translator = parse.GetValue(noDecode) ? null : m.CreateTranslator(new DecodingOptions { BeamWidth = beamWidth, Precision = weightPrecision });

        var clock = Stopwatch.StartNew();
        var dataset = new ParallelDataset(corpus.Pairs, m.Text);
        using var trainer = new Trainer(m, new TrainerOptions { BatchSize = batchSize });
        BatchResult evaluation = trainer.Evaluate(dataset, context.Cancellation);
        double lossSum = evaluation.LossSum, correct = evaluation.Correct;
        long counted = evaluation.Counted;

        var result = new EvalResult
        {
            Model = modelPath,
            Data = dataPath,
            Device = Format.Device(dev.Info),
            Pairs = dataset.Count,
            Tokens = counted,
            Loss = counted == 0 ? 0 : lossSum / counted,
            Accuracy = counted == 0 ? 0 : correct / counted,
            UnknownSourceTokens = corpus.Pairs.Sum(p => CountUnknown(m.Text, p.Source, m.Text.SourceVocabulary)),
            UnknownTargetTokens = corpus.Pairs.Sum(p => CountUnknown(m.Text, p.Target, m.Text.TargetVocabulary)),
            LongerThanTraining = Enumerable.Range(0, dataset.Count).Count(i => IsLonger(dataset, m, i)),
            Seconds = clock.Elapsed.TotalSeconds,
        };

        if (translator is not null)
        {
            // Decoding metrics: the model's own step-by-step decoder on every pair (definitions in docs/inference.md).
            var hypotheses = new List<string>(corpus.Pairs.Count);
            foreach (var part in corpus.Pairs.Chunk(batchSize))
            {
                context.Cancellation.ThrowIfCancellationRequested();
                hypotheses.AddRange(translator.Translate(part.Select(p => p.Source).ToList()));
            }

            var scores = TranslationMetrics.Score(hypotheses, corpus.Pairs.Select(p => m.Text.NormalizeTarget(p.Target)).ToList());
            result = result with { ExactMatch = scores.ExactMatch, Chrf = scores.ChrF, Bleu = scores.Bleu, Beam = beamWidth, Precision = weightPrecision.Name(), Seconds = clock.Elapsed.TotalSeconds };
        }

        if (asJson)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(result, Json));
        }
        else
        {
            WriteHuman(result, loaded, corpus, dataset.Count);
        }

        return ExitCodes.Success;
    }

    private static long CountUnknown(TextEncoder text, string sentence, Vocabulary vocabulary) =>
        text.Tokenize(sentence).Count(t => !vocabulary.Contains(t));

    private static bool IsLonger(ParallelDataset dataset, Seq2SeqModel model, int index) =>
        (model.MaxSourceLength > 0 && dataset.GetSourceIds(index).Count > model.MaxSourceLength)
        || (model.MaxTargetLength > 0 && dataset.GetTargetIds(index).Count > model.MaxTargetLength);

    private void WriteHuman(EvalResult result, LoadedCheckpoint loaded, CorpusReadResult corpus, int pairs)
    {
        TextWriter o = context.Out;
        Seq2SeqModel m = loaded.Model;
        string epochs = TrainingCheckpoint.StateOf(loaded) is { } t ? $"; trained {t.EpochsCompleted} epoch{(t.EpochsCompleted == 1 ? string.Empty : "s")}" : string.Empty;
        o.WriteLine($"model: {result.Model}: {Format.Model(m)}{epochs}");
        o.WriteLine($"tokens: {Format.Text(m.Text)}");
        o.WriteLine($"data: {CommonOptions.DescribeCorpus(corpus)}");
        if (result.UnknownSourceTokens > 0 || result.UnknownTargetTokens > 0)
        {
            o.WriteLine($"unknown tokens (read as UNK): {result.UnknownSourceTokens:N0} source, {result.UnknownTargetTokens:N0} target");
        }

        if (result.LongerThanTraining > 0)
        {
            o.WriteLine(
                $"longer than the training maxima (source {m.MaxSourceLength}, target {m.MaxTargetLength}): {result.LongerThanTraining:N0} pairs, evaluated with their own padding");
        }

        o.WriteLine(
            $"loss {Format.Metric(result.Loss)}  accuracy {Format.Metric(result.Accuracy)}  over {result.Tokens:N0} target tokens of {pairs:N0} pairs  ({Format.Seconds(result.Seconds)})");
        if (result.ExactMatch is { } exact)
        {
            o.WriteLine($"exact match {Format.Metric(exact)}{(result.Precision is "bf16" ? "  (decoded with bf16 weights)" : string.Empty)}");
        }

        if (result.Chrf is { } chrf)
        {
            o.WriteLine($"chrF {chrf:0.00}");
        }

        if (result.Bleu is { } bleu)
        {
            o.WriteLine($"BLEU {bleu:0.00}");
        }
    }
}
