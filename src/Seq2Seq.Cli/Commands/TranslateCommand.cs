using System.CommandLine;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq translate</c>: translates the texts given as arguments, or, with none, standard input line by line,
/// writing each translation as soon as it is made (so it can sit in a pipe). With <c>--nbest N</c> each input gets
/// N lines <c>score&lt;TAB&gt;translation</c>. Warnings (a truncated input) go to standard error.
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
        IEnumerable<string> inputs = given.Length > 0 ? given : ReadLines(context.In);
        foreach (string input in inputs)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            Translate(translator, input, n, grid);
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

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    private void Translate(Translator translator, string input, int n, bool grid)
    {
        // One decode an input: the best translation, or with --nbest the one beam search that gives all N.
        IReadOnlyList<int> best;
        IReadOnlyList<float[]>? weights;
        if (n == 1)
        {
            var detail = translator.TranslateDetailed([input], context.Cancellation)[0];
            WarnIfTruncated(translator, input, detail.SourceTruncated);
            context.Out.WriteLine(detail.Text);
            (best, weights) = (detail.Tokens, detail.Attention);
        }
        else
        {
            WarnIfTruncated(translator, input, translator.Truncates(input));
            var hypotheses = translator.TranslateNBest(input, n, context.Cancellation);
            foreach (var hypothesis in hypotheses)
            {
                context.Out.WriteLine($"{hypothesis.Score:0.0000}\t{translator.Model.Text.DecodeTarget(hypothesis.Tokens)}");
            }

            (best, weights) = (hypotheses[0].Tokens, hypotheses[0].Attention);
        }

        if (grid && weights is not null)
        {
            var text = translator.Model.Text;
            var sourceIds = text.EncodeSource(input).Take(weights.Count > 0 ? weights[0].Length : 0);
            AttentionGrid.Write(
                context.Out, sourceIds.Select(id => text.SourceVocabulary.Tokens[id]).ToList(), best.Select(id => text.TargetVocabulary.Tokens[id]).ToList(), weights);
        }

        context.Out.Flush();
    }
}
