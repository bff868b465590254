using System.Globalization;

namespace Seq2Seq.Gpu.IO;

/// <summary>Who holds (or held) an <see cref="OutputLock"/>: what its lock file says.</summary>
/// <param name="ProcessId">The holder's process id.</param>
/// <param name="Host">The machine it runs on.</param>
/// <param name="Started">When it took the lock (UTC).</param>
/// <param name="Command">Its command line, or what its caller said it is doing.</param>
public sealed record OutputLockOwner(int ProcessId, string Host, DateTimeOffset Started, string Command)
{
    /// <summary>"pid 123 on host, since 2026-12-03 10:00:00Z (command)", for messages.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"pid {ProcessId} on {Host}, since {Started.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({Command})");

    /// <summary>The lock file's text: one <c>key: value</c> line each, plus the token that tells this holder's file apart.</summary>
    internal string Format(string token) => string.Create(
        CultureInfo.InvariantCulture,
        $"pid: {ProcessId}\nhost: {Host}\nstarted: {Started.UtcDateTime:O}\ncommand: {Command.ReplaceLineEndings(" ")}\ntoken: {token}\n");

    /// <summary>Reads what <see cref="Format"/> wrote; null when the text is empty or not a lock file's.</summary>
    internal static (OutputLockOwner Owner, string Token)? Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        if (!fields.TryGetValue("pid", out string? pid) || !int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int processId))
        {
            return null;
        }

        DateTimeOffset started = fields.TryGetValue("started", out string? s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : DateTimeOffset.MinValue;
        return (new OutputLockOwner(processId, fields.GetValueOrDefault("host", "?"), started, fields.GetValueOrDefault("command", "?")),
            fields.GetValueOrDefault("token", string.Empty));
    }
}
