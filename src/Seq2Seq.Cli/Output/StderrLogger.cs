using Microsoft.Extensions.Logging;

namespace Seq2Seq.Cli.Output;

/// <summary>
/// The command line's logger for <c>--verbose</c>: every entry of the engine's log as one line
/// <c>seq2seq: LEVEL: message</c> on standard error (results stay alone on standard output).
/// </summary>
/// <param name="error">Standard error.</param>
internal sealed class StderrLogger(TextWriter error) : ILogger
{
    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string level = logLevel switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            _ => "error",
        };
        string message = formatter(state, exception);
        string oneLine = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        error.WriteLine($"seq2seq: {level}: {oneLine}");
    }
}
