using Microsoft.Extensions.Logging;

namespace Seq2Seq.Cli.Output;

/// <summary>What the command line itself logs (with <c>--verbose</c>), beside the engine's own messages (ids from 100).</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "model {Path}: {Parameters} parameters; {Bytes} bytes allocated on the device for it ({OptimizerSlots} optimizer-state buffers)")]
    public static partial void ModelLoaded(ILogger logger, string path, long parameters, long bytes, int optimizerSlots);
}
