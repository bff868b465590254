using System.Text;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>A thread-safe writer that keeps what is written and completes a task when a line starting with a prefix is written.</summary>
public sealed class SignallingWriter(string prefix) : TextWriter
{
    private readonly StringBuilder text = new();
    private readonly TaskCompletionSource<string> seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The first line that starts with the prefix, once written.</summary>
    public Task<string> Line => seen.Task;

    /// <summary>Everything written so far.</summary>
    public string Text
    {
        get
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }

    /// <inheritdoc />
    public override void Write(char value)
    {
        lock (text)
        {
            text.Append(value);
            if (value == '\n')
            {
                string all = text.ToString();
                int start = all.LastIndexOf('\n', all.Length - 2) + 1;
                string line = all[start..].TrimEnd();
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    seen.TrySetResult(line);
                }
            }
        }
    }
}
