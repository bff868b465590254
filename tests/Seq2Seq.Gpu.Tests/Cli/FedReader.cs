using System.Collections.Concurrent;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// Standard input fed by the test, as a terminal or a slow pipe is: a read blocks until the test feeds a line or ends
/// the input. The test can wait until a given read has begun (so every line before it has been returned), and the reader
/// checks at every read that it is no more than <c>limitAhead</c> lines ahead of what the test says was written.
/// </summary>
/// <param name="limitAhead">Most lines the consumer may have read beyond those reported written.</param>
public sealed class FedReader(int limitAhead = int.MaxValue) : TextReader
{
    private readonly BlockingCollection<string> lines = [];
    private readonly object gate = new();
    private readonly List<(int Read, TaskCompletionSource Begun)> waiters = [];
    private int reads;
    private int written;

    /// <summary>The lines taken so far.</summary>
    public int LinesRead { get; private set; }

    /// <summary>The most lines ever read beyond those reported written (checked at each read).</summary>
    public int MostAhead { get; private set; }

    /// <summary>Whether a read began while <c>limitAhead</c> lines were already read and not written.</summary>
    public bool ReadTooFarAhead => MostAhead > limitAhead;

    /// <summary>Makes lines available.</summary>
    public void Feed(params string[] more)
    {
        foreach (string line in more)
        {
            lines.Add(line);
        }
    }

    /// <summary>Ends the input: reads after the lines fed return null.</summary>
    public void End() => lines.CompleteAdding();

    /// <summary>Reports lines as written (answered) by the consumer.</summary>
    public void Written(int count)
    {
        lock (gate)
        {
            written += count;
        }
    }

    /// <summary>Completes when read number <paramref name="read"/> (from 1) has begun: every line before it was returned.</summary>
    public Task ReadBegun(int read)
    {
        var begun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (reads >= read)
            {
                return Task.CompletedTask;
            }

            waiters.Add((read, begun));
        }

        return begun.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <inheritdoc />
    public override string? ReadLine()
    {
        lock (gate)
        {
            reads++;
            MostAhead = Math.Max(MostAhead, LinesRead + 1 - written);
            foreach (var waiter in waiters.Where(w => w.Read <= reads).ToList())
            {
                waiter.Begun.TrySetResult();
                waiters.Remove(waiter);
            }
        }

        if (!lines.TryTake(out var line, Timeout.Infinite))
        {
            return null;
        }

        lock (gate)
        {
            LinesRead++;
        }

        return line;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lines.Dispose();
        }

        base.Dispose(disposing);
    }
}
