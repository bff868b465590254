using Seq2Seq.Gpu.Inference.Serving;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>
/// The sizes of the batches a service decoded, in order, with a wait for the n-th: the batch callback runs after the
/// batch's callers are answered, so an answered call does not mean its batch is logged yet.
/// </summary>
public sealed class BatchLog
{
    /// <summary>Long enough for any machine; reached only when the batches awaited never come.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly object gate = new();
    private readonly List<int> sizes = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> waiters = [];

    /// <summary>Batches logged so far.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return sizes.Count;
            }
        }
    }

    /// <summary>Logs a batch (a service's <see cref="TranslationServiceOptions.OnBatch"/>).</summary>
    public void Record(DecodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (gate)
        {
            sizes.Add(batch.Sentences);
            foreach (var waiter in waiters.Where(w => w.Count <= sizes.Count).ToList())
            {
                waiter.Reached.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }

    /// <summary>The sizes logged once at least <paramref name="count"/> batches have been (all of them, so extra batches show).</summary>
    /// <exception cref="TimeoutException">Fewer batches came in two minutes.</exception>
    public async Task<IReadOnlyList<int>> After(int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (sizes.Count >= count)
            {
                return sizes.ToList();
            }

            waiters.Add((count, reached));
        }

        await reached.Task.WaitAsync(Patience);
        lock (gate)
        {
            return sizes.ToList();
        }
    }
}
