using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// NVIDIA's PTX assembler, run without a GPU: where it is (<c>SEQ2SEQ_PTXAS</c>, else where
/// <c>../shared/tools/ptxas/fetch.sh</c> puts it), and what <c>ptxas -v</c> says of one kernel.
/// </summary>
public static partial class Ptxas
{
    private const string DefaultPath = "/tmp/ptxas-11.8/usr/bin/ptxas";

    private static readonly Lazy<(string? Path, string Reason)> Found = new(Find);

    /// <summary>The assembler's path, or null.</summary>
    public static string? Path => Found.Value.Path;

    /// <summary>Why there is none (for the skip message), or where it came from.</summary>
    public static string Reason => Found.Value.Reason;

    /// <summary>Assembles <paramref name="ptx"/> for <paramref name="architecture"/> (e.g. <c>sm_90</c>) with <c>-v</c> and reads its report.</summary>
    public static PtxasReport Assemble(string ptx, string architecture)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        string path = Path ?? throw new InvalidOperationException(Reason);
        string file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"seq2seq-{Guid.NewGuid():N}.ptx");
        File.WriteAllText(file, ptx);
        try
        {
            var start = new ProcessStartInfo(path, ["-arch=" + architecture, "-v", file, "-o", "/dev/null"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            string report = process.StandardError.ReadToEnd();
            process.WaitForExit();
            report += output.Result;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ptxas -arch={architecture} failed ({process.ExitCode}): {report}");
            }

            return Parse(report);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Reads the lines <c>N bytes stack frame, N bytes spill stores, N bytes spill loads</c> and <c>Used N registers, N bytes smem</c>.</summary>
    public static PtxasReport Parse(string report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var used = UsedLine().Match(report);
        var frame = FrameLine().Match(report);
        if (!used.Success || !frame.Success)
        {
            throw new FormatException($"no register or stack report in: {report}");
        }

        var shared = SharedBytes().Match(used.Value);
        return new PtxasReport(
            Int(used.Groups[1].Value),
            shared.Success ? Int(shared.Groups[1].Value) : 0,
            Int(frame.Groups[1].Value),
            Int(frame.Groups[2].Value),
            Int(frame.Groups[3].Value),
            report);
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static (string? Path, string Reason) Find()
    {
        string? configured = Environment.GetEnvironmentVariable("SEQ2SEQ_PTXAS");
        foreach (string candidate in new[] { configured, DefaultPath }.OfType<string>().Where(p => p.Length > 0))
        {
            if (File.Exists(candidate))
            {
                return (candidate, candidate);
            }
        }

        string why = Environment.GetEnvironmentVariable("SEQ2SEQ_PTXAS_REASON") is { Length: > 0 } reason ? $" ({reason})" : string.Empty;
        return (null, $"ptxas not found (SEQ2SEQ_PTXAS, {DefaultPath}): run ../shared/tools/ptxas/fetch.sh, as .ci/run does{why}");
    }

    [GeneratedRegex(@"Used (\d+) registers[^\n]*")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SharedBytes();
}
