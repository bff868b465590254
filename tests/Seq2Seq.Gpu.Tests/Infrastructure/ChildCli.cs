using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The <c>seq2seq</c> command run as a real child process (the CLI's <c>seq2seq.dll</c> is built beside the tests), so
/// that a test can stop, resume or kill it with signals as an operating system or a user would. Standard output lines
/// are collected as they arrive. Disposing kills the process if it still runs.
/// </summary>
internal sealed partial class ChildCli : IDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<string> errors = new();

    private ChildCli(Process process)
    {
        this.process = process;
    }

    /// <summary>The child's process id.</summary>
    public int Id => process.Id;

    /// <summary>Standard output so far.</summary>
    public string Output => string.Join('\n', lines);

    /// <summary>Standard error so far.</summary>
    public string Error => string.Join('\n', errors);

    /// <summary>Starts <c>seq2seq</c> with <paramref name="args"/>, on the same .NET runtime as the tests.</summary>
    public static ChildCli Start(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "seq2seq.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the child process did not start");
        var child = new ChildCli(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child.lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child.errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Waits until a line of standard output satisfies <paramref name="predicate"/>; fails the test on timeout or exit.</summary>
    public void WaitForLine(Func<string, bool> predicate, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!lines.Any(predicate))
        {
            if (process.HasExited)
            {
                process.WaitForExit(); // drains the output events
                if (lines.Any(predicate))
                {
                    return;
                }

                Assert.Fail($"the child exited (code {process.ExitCode}) before {what}\n{this}");
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"no {what} within {timeout.TotalSeconds} s\n{this}");
            }

            Thread.Sleep(5);
        }
    }

    /// <summary>Freezes the process (SIGSTOP) where it is.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>Lets a frozen process go on (SIGCONT).</summary>
    public void Thaw() => Signal(SigCont);

    /// <summary>Kills the process at once (SIGKILL: no handler, no finally block, no flush runs) and waits for it.</summary>
    /// <returns>The exit code the operating system reports (137 for SIGKILL).</returns>
    public int KillHard()
    {
        Signal(SigKill);
        if (!process.WaitForExit(30_000))
        {
            Assert.Fail($"the child {Id} did not die within 30 s of SIGKILL");
        }

        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Waits for the process to exit by itself; fails the test on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            Assert.Fail($"the child did not exit within {timeout.TotalSeconds} s\n{this}");
        }

        process.WaitForExit();
        return process.ExitCode;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!process.HasExited)
        {
            Signal(SigKill);
            process.WaitForExit(30_000);
        }

        process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"--- child stdout\n{Output}\n--- child stderr\n{Error}";

    internal static string DotnetHost()
    {
        // The tests may run under `dotnet` or as their own apphost: take the host of the runtime that runs them
        // (…/dotnet/shared/Microsoft.NETCore.App/<version>/ → …/dotnet/dotnet).
        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        string host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    private void Signal(int signal)
    {
        if (SendSignal(process.Id, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (!process.HasExited)
            {
                Assert.Fail($"kill({process.Id}, {signal}) failed with errno {errno}");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
