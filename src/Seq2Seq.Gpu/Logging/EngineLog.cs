using Microsoft.Extensions.Logging;

namespace Seq2Seq.Gpu.Logging;

/// <summary>
/// Every message the engine logs, with its event id and level (the library never writes to the console; it logs
/// through the <see cref="ILogger"/> an application passes in <c>DeviceOpenOptions.Logger</c> and
/// <c>TrainerOptions.Logger</c>). Ids: 1-9 devices, 10-19 training.
/// </summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "device {Device} ({Kind}): {Selection}")]
    public static partial void DeviceOpened(ILogger logger, string device, Devices.DeviceKind kind, string selection);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "CUDA not used: {Reason}")]
    public static partial void CudaNotUsed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "OpenCL device {Device} passed over: {Reason}")]
    public static partial void OpenClPassedOver(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "cuBLAS was asked for but is not used; {Products} compute the matrix products: {Reason}")]
    public static partial void CuBlasFallback(ILogger logger, string products, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information,
        Message = "epoch {Epoch}/{Epochs}: loss {TrainLoss:0.0000}, accuracy {TrainAccuracy:0.0000}, val_loss {ValidationLoss}, val_accuracy {ValidationAccuracy}, {TokensPerSecond:0} tokens/s, {Seconds:0.00} s")]
    public static partial void EpochFinished(ILogger logger, int epoch, int epochs, double trainLoss, double trainAccuracy, string validationLoss, string validationAccuracy, double tokensPerSecond, double seconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "wrote {What} {Path} (epoch {Epoch})")]
    public static partial void CheckpointWritten(ILogger logger, string what, string path, int epoch);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "training diverged: {Reason}")]
    public static partial void TrainingDiverged(ILogger logger, string reason);
}
