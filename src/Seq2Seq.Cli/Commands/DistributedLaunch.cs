using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Distributed;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>train --distributed</c>'s part of the command line: starts MPI, says what the job is, and makes a failing rank
/// end the whole job (<c>MPI_Abort</c>) after its one error line, so that no rank waits for it in a collective.
/// </summary>
internal static class DistributedLaunch
{
    /// <summary>Loads Open MPI and initialises it; a missing or unusable library is a one-line error.</summary>
    public static MpiCommunicator Start()
    {
        try
        {
            return MpiCommunicator.Initialize();
        }
        catch (DistributedException e)
        {
            throw new CliException($"--distributed: {e.Message}");
        }
    }

    /// <summary>
    /// Runs one rank's command. In a job of several ranks, an error or a non-zero exit code (a cancelled run
    /// included) ends every rank with that code after this rank's error line; alone, errors propagate as usual.
    /// </summary>
    public static int Run(MpiCommunicator mpi, CliContext context, Func<int> rank)
    {
        if (mpi.Size == 1)
        {
            return rank();
        }

        int code;
        try
        {
            code = rank();
        }
#pragma warning disable CA1031 // Any error of a rank must end the job, not leave the other ranks waiting.
        catch (Exception e)
#pragma warning restore CA1031
        {
            string what = e is Seq2SeqException or CliException or ArgumentException or IOException or UnauthorizedAccessException
                ? e.Message
                : $"{e.Message} ({e.GetType().FullName})";
            CliApp.WriteError(context.Error, $"rank {mpi.Rank} of {mpi.Size}: {what}");
            context.Error.Flush();
            code = e is CliException cli ? cli.ExitCode : ExitCodes.Failure;
        }

        if (code != ExitCodes.Success)
        {
            mpi.Abort(code);
        }

        return code;
    }

    /// <summary>
    /// In a distributed run, NCCL for the gradients when every rank's device is CUDA and can load it (untested on a GPU),
    /// else null; on CUDA, a log line says which path the gradients take and why. Every rank must call it.
    /// </summary>
    public static NcclCommunicator? TryNccl(IGradientCommunicator ranks, ComputeDevice device, TextWriter output)
    {
        if (ranks is not MpiCommunicator mpi)
        {
            return null;
        }

        try
        {
            var nccl = NcclCommunicator.TryCreate(mpi, device, out string reason);
            if (device.Info.Kind == DeviceKind.Cuda)
            {
                output.WriteLine(nccl is null ? $"gradients: through host memory, not NCCL: {reason}" : $"gradients: {reason}, on the device buffers (untested on a GPU)");
            }

            return nccl;
        }
        catch (DistributedException e)
        {
            throw new CliException($"--distributed: {e.Message}");
        }
    }

    /// <summary>The log line of a distributed run: what carries the collectives, each rank's share, the bytes a step sums.</summary>
    public static void Describe(IGradientCommunicator ranks, TextWriter output, int batchSize, long gradientBytes)
    {
        if (ranks is not (MpiCommunicator or NcclCommunicator))
        {
            return;
        }

        int share = (batchSize + ranks.Size - 1) / ranks.Size;
        output.WriteLine(
            $"distributed: {ranks.Description}; each rank takes {(batchSize % ranks.Size == 0 ? string.Empty : "up to ")}{share:N0} of every batch's {batchSize:N0} pairs; one all-reduce of {MemoryEstimate.FormatBytes(gradientBytes)} of gradients a step");
    }

    /// <summary>The closing line of a distributed run: how many gradient all-reduces ran and their mean time on rank 0.</summary>
    public static void Summarize(IGradientCommunicator ranks, TextWriter output)
    {
        if (ranks is not MpiCommunicator { BufferReductions: > 0 } mpi)
        {
            return;
        }

        double meanMs = mpi.BufferReductionSeconds / mpi.BufferReductions * 1000;
        output.WriteLine(
            $"all-reduce: {mpi.BufferReductions:N0} of {MemoryEstimate.FormatBytes(mpi.BufferReductionBytes / mpi.BufferReductions)}, {meanMs:F2} ms each on rank 0 (host copies and waiting for the slowest rank included; {Format.Seconds(mpi.BufferReductionSeconds)} in all)");
    }
}
