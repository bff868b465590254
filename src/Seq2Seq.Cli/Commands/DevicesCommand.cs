using System.CommandLine;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Cli.Commands;

/// <summary><c>seq2seq devices</c>: the compute devices ILGPU finds, and which one <c>--device auto</c> picks and why.</summary>
internal static class DevicesCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = new Command("devices", "List the compute devices (CUDA, OpenCL, ILGPU's CPU accelerator) and the one --device auto picks.");
        command.SetAction(_ => Run(context));
        return command;
    }

    private static int Run(CliContext context)
    {
        TextWriter output = context.Out;
        IReadOnlyList<DeviceInfo> devices = ComputeDevice.ListAvailable();
        var table = new TextTable("#", "name", "kind", "memory", "warp", "SMs", "max group", "shared/group");
        for (int i = 0; i < devices.Count; i++)
        {
            DeviceInfo d = devices[i];
            table.Add(
                i.ToString(),
                d.Name,
                d.Kind.ToString(),
                Format.HasMemorySize(d) ? Format.Bytes(d.MemoryBytes) : "host",
                d.WarpSize.ToString(),
                d.Multiprocessors.ToString(),
                d.MaxThreadsPerGroup.ToString(),
                Format.Bytes(d.MaxSharedMemoryPerGroup));
        }

        output.WriteLine($"{devices.Count} device(s):");
        table.Write(output, indent: "  ");

        // Opening the device is the only way to know that it starts, and Selection says why it was chosen.
        using ComputeDevice chosen = ComputeDevice.Open(DeviceKind.Auto);
        output.WriteLine($"auto: {chosen.Info.Name} ({chosen.Info.Kind}): {chosen.Selection}");
        return ExitCodes.Success;
    }
}
