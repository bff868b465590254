using System.Diagnostics;
using System.Text;
using Seq2Seq.Gpu.Training;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Cli.Output;

/// <summary>
/// Shows a training run: one line per finished epoch, and on a terminal a live progress bar for the epoch under
/// way, redrawn in place (at most ten times a second) and cleared before each epoch line. Reports arrive on the
/// training thread (<see cref="Trainer.Fit"/> calls <see cref="Report"/> synchronously).
/// </summary>
internal sealed class ConsoleProgressReporter : IProgress<TrainingProgress>
{
    private const int BarWidth = 16;
    private const int MaxLineLength = 79;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter output;
    private readonly bool live;
    private readonly Stopwatch sinceDraw = new();
    private int drawnLength;

    /// <summary>Creates a reporter writing to <paramref name="output"/>.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="live">Draw the live bar (only when the output is a terminal).</param>
    public ConsoleProgressReporter(TextWriter output, bool live)
    {
        this.output = output;
        this.live = live;
    }

    /// <summary>The last epoch whose line was written, 0 if none.</summary>
    public int LastCompletedEpoch { get; private set; }

    /// <summary>The one line for a finished epoch: <c>epoch 3/10  loss 1.2345  acc 0.6543  val_loss …  val_acc …  12,345 tok/s  10.2 s</c>.</summary>
    public static string FormatEpoch(EpochMetrics metrics, int epochs)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var line = new StringBuilder()
            .Append($"epoch {metrics.Epoch}/{epochs}  loss {Format.Metric(metrics.TrainLoss)}  acc {Format.Metric(metrics.TrainAccuracy)}");
        if (metrics.ValidationLoss is { } valLoss)
        {
            line.Append($"  val_loss {Format.Metric(valLoss)}");
        }

        if (metrics.ValidationAccuracy is { } valAccuracy)
        {
            line.Append($"  val_acc {Format.Metric(valAccuracy)}");
        }

        return line.Append($"  {metrics.TokensPerSecond:N0} tok/s  {Format.Seconds(metrics.Seconds)}").ToString();
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.CompletedEpoch is { } metrics)
        {
            Clear();
            output.WriteLine(FormatEpoch(metrics, value.Epochs));
            output.Flush();
            LastCompletedEpoch = metrics.Epoch;
            return;
        }

        if (!live || (sinceDraw.IsRunning && sinceDraw.Elapsed < RedrawInterval && value.Batch < value.Batches))
        {
            return;
        }

        int filled = value.Batches == 0 ? BarWidth : (int)((long)BarWidth * value.Batch / value.Batches);
        string bar = new string('#', filled) + new string('-', BarWidth - filled);
        string status = value.Batch < value.Batches ? $"{value.TokensPerSecond:N0} tok/s" : "validating";
        string text = $"epoch {value.Epoch}/{value.Epochs} [{bar}] {value.Batch}/{value.Batches} loss {Format.Metric(value.Loss)} acc {Format.Metric(value.Accuracy)} {status}";
        if (text.Length > MaxLineLength)
        {
            text = text[..MaxLineLength]; // a wrapped line could not be redrawn in place
        }

        output.Write('\r' + text.PadRight(drawnLength));
        output.Flush();
        drawnLength = text.Length;
        sinceDraw.Restart();
    }

    /// <summary>Removes the live bar, if one is drawn (before other output, or when the run stops).</summary>
    public void Clear()
    {
        if (drawnLength == 0)
        {
            return;
        }

        output.Write('\r' + new string(' ', drawnLength) + '\r');
        output.Flush();
        drawnLength = 0;
        sinceDraw.Reset();
    }
}
