using System.Runtime.ExceptionServices;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// Lines of an input in batches of what has already arrived: a reader thread takes lines as they come (a blocking
/// read never holds back lines already read), and <see cref="NextBatch"/> waits only for the first line of a batch,
/// then adds those already read, up to the batch size. The reader stays at most one batch ahead of the consumer's
/// output: it reads a line only while fewer than <c>batchSize</c> lines are read and not yet reported
/// <see cref="Written"/>, so a consumer that stops (its output has gone) has read at most one batch more than it wrote.
/// </summary>
internal sealed class LineBatchReader : IDisposable
{
    private readonly object gate = new();
    private readonly Queue<string> lines = new();
    private readonly TextReader input;
    private readonly int batchSize;
    private int credits;
    private bool ended;
    private bool disposed;
    private ExceptionDispatchInfo? failure;

    /// <summary>Starts reading <paramref name="input"/> (not owned) on a background thread.</summary>
    /// <param name="input">The lines.</param>
    /// <param name="batchSize">Most lines in a batch, and most lines read and not yet written.</param>
    public LineBatchReader(TextReader input, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.input = input;
        this.batchSize = batchSize;
        credits = batchSize;
        new Thread(ReadAll) { IsBackground = true, Name = "seq2seq input lines" }.Start();
    }

    /// <summary>
    /// The next lines, in input order: waits for one, then takes the others already read (at most the batch size);
    /// null at the end of the input. An error reading the input is thrown here, after the lines read before it.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public IReadOnlyList<string>? NextBatch(CancellationToken cancellationToken)
    {
        using var wake = cancellationToken.Register(Wake);
        lock (gate)
        {
            while (lines.Count == 0 && !ended)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(gate);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (lines.Count == 0)
            {
                failure?.Throw();
                return null;
            }

            var batch = new List<string>(Math.Min(lines.Count, batchSize));
            while (batch.Count < batchSize && lines.TryDequeue(out var line))
            {
                batch.Add(line);
            }

            return batch;
        }
    }

    /// <summary>Says that <paramref name="count"/> more lines have been answered, so the reader may read that many further.</summary>
    public void Written(int count)
    {
        lock (gate)
        {
            credits += count;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Stops the reader before its next line (one blocked in a read of the input stays there; it is a background thread).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            Monitor.PulseAll(gate);
        }
    }

    private void Wake()
    {
        lock (gate)
        {
            Monitor.PulseAll(gate);
        }
    }

    private void ReadAll()
    {
        while (true)
        {
            lock (gate)
            {
                while (credits == 0 && !disposed)
                {
                    Monitor.Wait(gate);
                }

                if (disposed)
                {
                    return;
                }

                credits--;
            }

            string? line;
            try
            {
                line = input.ReadLine();
            }
#pragma warning disable CA1031 // Any failure to read is the consumer's to report, after the lines read before it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                lock (gate)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    ended = true;
                    Monitor.PulseAll(gate);
                }

                return;
            }

            lock (gate)
            {
                if (line is null)
                {
                    ended = true;
                }
                else
                {
                    lines.Enqueue(line);
                }

                Monitor.PulseAll(gate);
            }

            if (line is null)
            {
                return;
            }
        }
    }
}
