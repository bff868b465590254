using Microsoft.Extensions.Logging;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>An <see cref="ILogger"/> that keeps every entry (level, event id, formatted message), for tests of what the engine logs.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<(LogLevel Level, EventId Id, string Message)> entries = [];

    /// <summary>The entries so far, in order.</summary>
    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries
    {
        get
        {
            lock (entries)
            {
                return [.. entries];
            }
        }
    }

    /// <summary>The messages of the entries with event id <paramref name="id"/>.</summary>
    public IReadOnlyList<string> Messages(int id) => Entries.Where(e => e.Id.Id == id).Select(e => e.Message).ToList();

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (entries)
        {
            entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
