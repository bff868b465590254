using System.CommandLine;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq translate</c>: translates the texts given as arguments, or, with none, the lines of standard input in
/// batches of the lines that have arrived (up to the decoder's batch; it never waits to fill one), writing each batch's
/// translations in input order as soon as they are made (so it can sit in a pipe), and reading at most one batch ahead of
/// what it has written. With <c>--nbest N</c> each input gets N lines <c>score&lt;TAB&gt;translation</c>. Warnings (a
/// truncated input) go to standard error.
/// </summary>
internal sealed class TranslateCommand
{
    private readonly CliContext context;
    private readonly Option<string> model = new("--model") { Description = "The model file (written by train).", Required = true, HelpName = "MODEL" };
    private readonly Option<int> beam = new("--beam") { Description = "Beam width; 1 is greedy decoding.", DefaultValueFactory = _ => 1, HelpName = "K" };
    private readonly Option<int> nbest = new("--nbest") { Description = "Hypotheses to print per input (at most the beam width), each as 'score<TAB>text'.", DefaultValueFactory = _ => 1, HelpName = "N" };
    private readonly Option<int?> maxLength = new("--max-length") { Description = "Most output tokens per sentence. Default: the longest target seen in training.", HelpName = "N" };
    private readonly Option<bool> showAttention = new("--show-attention")
    {
        Description = "After each translation, print its attention weights as a grid: a row per target token, a column per source token, each cell the weight in percent (models trained with --attention only).",
    };

    private readonly Option<string> precision = CommonOptions.Precision();
    private readonly DeviceOptions device = new();
    private readonly Option<bool> noVerify = CommonOptions.NoVerify();
    private readonly Argument<string[]> texts = new("TEXT") { Description = "Sentences to translate; none: read standard input, one sentence a line.", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Creates the command.</summary>
    public TranslateCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(beam, 1);
        NumericOptions.Range(nbest, 1);
        NumericOptions.Range(maxLength, 1);
        Command = new Command("translate", "Translate sentences with a saved model (greedy or beam search).") { model, beam, nbest, maxLength, precision, showAttention, noVerify, texts };
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
        int width = parse.GetValue(beam);
        int n = parse.GetValue(nbest);
        if (n > width)
        {
            throw CliException.Usage($"--nbest {n} is larger than --beam {width}");
        }

        using ComputeDevice dev = device.Open(parse, context, quiet: true);
        string path = parse.GetRequiredValue(model);
        using Seq2SeqModel m = CommonOptions.LoadCheckpoint(dev, path, parse.GetValue(noVerify), context, inference: true, CommonOptions.Logger(parse, context)).Model;
        bool grid = parse.GetValue(showAttention);
        if (grid && !m.Config.HasAttention)
        {
            throw CliException.Usage($"--show-attention: the model in '{path}' has no attention (train it with --attention dot or general)");
        }

        using var translator = m.CreateTranslator(new DecodingOptions { BeamWidth = width, NBest = n, MaxLength = parse.GetValue(maxLength), Precision = CommonOptions.ParsePrecision(parse.GetValue(precision)) });
        var given = parse.GetValue(texts) ?? [];
        if (given.Length > 0)
        {
            foreach (var batch in given.Chunk(translator.SentencesPerBatch))
            {
                context.Cancellation.ThrowIfCancellationRequested();
                Translate(translator, batch, n, grid);
            }

            return ExitCodes.Success;
        }

        using var lines = new LineBatchReader(context.In, translator.SentencesPerBatch);
        while (lines.NextBatch(context.Cancellation) is { } batch)
        {
            Translate(translator, batch, n, grid);
            lines.Written(batch.Count);
        }

        return ExitCodes.Success;
    }

    private void WarnIfTruncated(Translator translator, string input, bool truncated)
    {
        if (truncated)
        {
            context.Error.WriteLine($"seq2seq: warning: input longer than the model's {translator.MaxSourceLength} source tokens was truncated: {input}");
        }
    }

    /// <summary>Translates a batch and writes its translations in input order, then flushes them.</summary>
    private void Translate(Translator translator, IReadOnlyList<string> inputs, int n, bool grid)
    {
        if (n == 1)
        {
            // One device batch for the whole batch of inputs: the best translation of each.
            var details = translator.TranslateDetailed(inputs, context.Cancellation);
            for (int i = 0; i < inputs.Count; i++)
            {
                WarnIfTruncated(translator, inputs[i], details[i].SourceTruncated);
                context.Out.WriteLine(details[i].Text);
                WriteGrid(translator, inputs[i], details[i].Tokens, details[i].Attention, grid);
            }
        }
        else
        {
            // One beam search an input gives all N of its hypotheses.
            foreach (string input in inputs)
            {
                WarnIfTruncated(translator, input, translator.Truncates(input));
                var hypotheses = translator.TranslateNBest(input, n, context.Cancellation);
                foreach (var hypothesis in hypotheses)
                {
                    context.Out.WriteLine($"{hypothesis.Score:0.0000}\t{translator.Model.Text.DecodeTarget(hypothesis.Tokens)}");
                }

                WriteGrid(translator, input, hypotheses[0].Tokens, hypotheses[0].Attention, grid);
            }
        }

        context.Out.Flush();
    }

    private void WriteGrid(Translator translator, string input, IReadOnlyList<int> best, IReadOnlyList<float[]>? weights, bool grid)
    {
        if (grid && weights is not null)
        {
            var text = translator.Model.Text;
            var sourceIds = text.EncodeSource(input).Take(weights.Count > 0 ? weights[0].Length : 0);
            AttentionGrid.Write(
                context.Out, sourceIds.Select(id => text.SourceVocabulary.Tokens[id]).ToList(), best.Select(id => text.TargetVocabulary.Tokens[id]).ToList(), weights);
        }
    }
}
