using Microsoft.Extensions.Hosting;

namespace Seq2Seq.Cli.Serving;

/// <summary>
/// A host lifetime that listens to no signal: the server is stopped by its owner (the serve command on SIGTERM or
/// Ctrl+C, or a test), never by the host's own console handlers, so a server started inside a test process leaves
/// that process's signals alone.
/// </summary>
internal sealed class ManualLifetime : IHostLifetime
{
    /// <inheritdoc />
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
