using System.CommandLine;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Interop.Torch;

namespace Seq2Seq.Cli.Commands;

/// <summary><c>seq2seq export torch MODEL OUT</c>: a model as a PyTorch state_dict in a safetensors file (docs/interop.md).</summary>
internal static class ExportCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = new Argument<string>("MODEL") { Description = "The model file (written by train or import)." };
        var output = new Argument<string>("OUT") { Description = "The safetensors file to write." };
        var noVerify = CommonOptions.NoVerify();
        var torch = new Command("torch", "Write the model with PyTorch's names and layouts (nn.Embedding, nn.LSTM or nn.GRU, nn.Linear) and its vocabularies in the metadata.")
        {
            model, output, noVerify,
        };
        torch.SetAction(parse =>
        {
            string modelPath = parse.GetRequiredValue(model);
            string outPath = parse.GetRequiredValue(output);
            using var device = ComputeDevice.Open(DeviceKind.Cpu);
            using var m = CommonOptions.LoadCheckpoint(device, modelPath, parse.GetValue(noVerify), context, inference: true, CommonOptions.Logger(parse, context)).Model;
            TorchInterop.Export(outPath, m);
            context.Out.WriteLine($"exported '{modelPath}' to '{outPath}' ({m.Weights.Layout.Parameters.Count} parameters, PyTorch layout)");
            return ExitCodes.Success;
        });
        return new Command("export", "Write a model in another framework's format.") { torch };
    }}
