using System.Diagnostics;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The <c>seq2seq</c> command (the CLI's <c>seq2seq.dll</c> beside the tests) run as an Open MPI job:
/// <c>mpirun -np N --oversubscribe dotnet seq2seq.dll …</c>, with its exit code and what it wrote.
/// </summary>
internal sealed record MpiJob(int ExitCode, string Out, string Error)
{
    /// <summary>Environment variable in which <c>.ci/run</c> says why it could not install Open MPI.</summary>
    public const string ReasonVariable = "SEQ2SEQ_MPI_REASON";

    private static readonly Lazy<string?> Launcher = new(() => FindOnPath("mpirun"));

    /// <summary>Where <c>mpirun</c> is, or null.</summary>
    public static string? MpirunPath => Launcher.Value;

    /// <summary>Skips the test (Assert.Ignore) with the reason when there is no <c>mpirun</c>.</summary>
    public static void RequireMpirun()
    {
        if (MpirunPath is null)
        {
            string why = Environment.GetEnvironmentVariable(ReasonVariable) is { Length: > 0 } reason ? $" ({reason})" : string.Empty;
            Assert.Ignore($"mpirun is not on the PATH{why}: install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev); .ci/run installs it where it can");
        }
    }

    /// <summary>Runs <paramref name="args"/> on <paramref name="ranks"/> ranks; fails the test if the job outlives <paramref name="timeout"/>.</summary>
    public static MpiJob Run(int ranks, TimeSpan timeout, params string[] args) => Launch(timeout, [["-np", $"{ranks}", .. Command(args)]]);

    /// <summary>Runs one rank per argument list (Open MPI's <c>-np 1 … : -np 1 …</c>), e.g. ranks that disagree.</summary>
    public static MpiJob RunEach(TimeSpan timeout, params string[][] perRank) =>
        Launch(timeout, perRank.Select(args => (string[])["-np", "1", .. Command(args)]).ToArray());

    private static string[] Command(string[] args) => [ChildCli.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "seq2seq.dll"), .. args];

    private static MpiJob Launch(TimeSpan timeout, string[][] contexts)
    {
        string mpirun = MpirunPath ?? throw new InvalidOperationException("no mpirun: call RequireMpirun first");
        var start = new ProcessStartInfo(mpirun)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        // Open MPI refuses to run as root unless told; CI containers run as root.
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        foreach (string arg in (string[])["--oversubscribe", "--bind-to", "none"])
        {
            start.ArgumentList.Add(arg);
        }

        for (int i = 0; i < contexts.Length; i++)
        {
            if (i > 0)
            {
                start.ArgumentList.Add(":"); // the next application context (rank)
            }

            foreach (string arg in contexts[i])
            {
                start.ArgumentList.Add(arg);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("mpirun did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"the MPI job did not end within {timeout.TotalSeconds} s\n--- stdout\n{output.Result}\n--- stderr\n{error.Result}");
        }

        process.WaitForExit();
        return new MpiJob(process.ExitCode, output.Result, error.Result);
    }

    /// <inheritdoc />
    public override string ToString() => $"mpirun exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";

    private static string? FindOnPath(string name)
    {
        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return folders.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
    }
}
