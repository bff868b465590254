using System.CommandLine;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Interop.Keras;
using Seq2Seq.Gpu.Interop.Torch;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq import keras MODEL.h5|MODEL.keras ...</c> and <c>seq2seq import torch FILE.safetensors</c>: a model from
/// another framework as an engine model file (docs/interop.md).
/// </summary>
internal static class ImportCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new Command("import", "Bring a model trained elsewhere (Keras, PyTorch) into a model file.") { Keras(context), Torch(context) };
    }

    private static Option<string> Out() => new("--out") { Description = "The model file to write.", Required = true, HelpName = "MODEL" };

    private static Command Torch(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A safetensors file written by 'seq2seq export torch' (or saved the same way from PyTorch)." };
        var output = Out();
        var command = new Command("torch", "Read a PyTorch state_dict export back (the two LSTM biases are summed).") { file, output };
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            using var device = ComputeDevice.Open(DeviceKind.Cpu);
            using var model = TorchInterop.Import(device, path);
            SaveImported(context, model, path, parse.GetRequiredValue(output));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Keras(CliContext context)
    {
        var file = new Argument<string>("MODEL") { Description = "The Keras training model: a Keras 2 .h5 saved whole, or a Keras 3 .keras file." };
        var sourceVocab = new Option<string>("--source-vocab") { Description = "The source vocabulary: Keras' input_token_index as a JSON object of token to index.", HelpName = "S.json" };
        var targetVocab = new Option<string>("--target-vocab") { Description = "The target vocabulary: Keras' target_token_index as a JSON object.", HelpName = "T.json" };
        var data = new Option<string>("--data") { Description = "Rebuild the vocabularies and lengths from the corpus the model was trained on, as the Keras example does.", HelpName = "PATH" };
        var samples = CommonOptions.Samples();
        var maxSource = new Option<int?>("--max-source-length") { Description = "Keras' max_encoder_seq_length: the length sources are padded to with spaces. Default: from --data, else none.", HelpName = "N" };
        var maxTarget = new Option<int?>("--max-target-length") { Description = "Keras' max_decoder_seq_length: the decoding limit. Default: from --data, else the translator's.", HelpName = "N" };
        NumericOptions.Range(maxSource, 1);
        NumericOptions.Range(maxTarget, 1);
        var output = Out();
        var command = new Command("keras", "Import a model of the Keras lstm_seq2seq family (one-hot or Embedding inputs, LSTM encoder and decoder, softmax Dense).")
        {
            file, sourceVocab, targetVocab, data, samples, maxSource, maxTarget, output,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            string? s = parse.GetValue(sourceVocab);
            string? t = parse.GetValue(targetVocab);
            string? corpus = parse.GetValue(data);
            if (corpus is not null == (s is not null || t is not null) || (corpus is null && (s is null || t is null)))
            {
                throw CliException.Usage("import keras: give either --source-vocab and --target-vocab, or --data");
            }

            if (corpus is null && CommonOptions.IsGiven(parse, samples))
            {
                throw CliException.Usage("import keras: --samples goes with --data");
            }

            TextEncoder text;
            int sourceLength = 0, targetLength = 0;
            if (corpus is not null)
            {
                var pairs = CommonOptions.ReadCorpus(corpus, parse.GetValue(samples), 0, skipBadLines: false).Pairs;
                (text, sourceLength, targetLength) = KerasImport.VocabulariesFromData(pairs);
            }
            else
            {
                text = KerasImport.ReadVocabularies(s!, t!);
            }

            sourceLength = parse.GetValue(maxSource) ?? sourceLength;
            targetLength = parse.GetValue(maxTarget) ?? targetLength;
            using var device = ComputeDevice.Open(DeviceKind.Cpu);
            using var model = KerasImport.Load(device, path, text, sourceLength, targetLength);
            SaveImported(context, model, path, parse.GetRequiredValue(output));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Saves an imported model and says what was written.</summary>
    private static void SaveImported(CliContext context, Seq2SeqModel model, string from, string outPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ModelCheckpoint.Save(outPath, model);
        var c = model.Config;
        string inputs = c.OneHot ? "one-hot inputs" : $"embedding {c.EmbeddingSize}";
        context.Out.WriteLine(
            $"imported '{from}' to '{outPath}': {c.Cell.ToString().ToUpperInvariant()} {c.HiddenSize} units x {c.Layers}, {inputs}, vocabularies {c.SourceVocabSize} / {c.TargetVocabSize}");
    }
}
