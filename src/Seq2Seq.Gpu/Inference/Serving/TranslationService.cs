using System.Diagnostics;
using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>
/// Dynamic batching for hosts that serve many concurrent callers: sentences submitted from any thread are queued and
/// decoded together, in device batches of up to <see cref="TranslationServiceOptions.MaxBatch"/> rows, by one decoding
/// thread. The thread chooses a batch when it is free: under <see cref="BatchDispatch.Adaptive"/> (the default) as soon as
/// as many sentences are queued as the last batch held, under <see cref="BatchDispatch.FullOrDelay"/> as soon as the batch
/// is full; under both once its oldest sentence has waited <see cref="TranslationServiceOptions.MaxDelay"/>. Greedy and
/// beam requests are batched separately (a batch holds one beam width); a request larger than a batch is split across
/// batches; each caller gets exactly its own sentences, in order. Batches are taken first come, first served. A caller's cancellation drops its sentences that are still
/// queued. <see cref="StopAsync"/> (and disposal) accepts nothing new and finishes every sentence already accepted.
/// The model's weights are read in place, so the service sees training steps like any translator.
/// </summary>
public sealed class TranslationService : IAsyncDisposable, IDisposable
{
    private readonly object gate = new();
    private readonly List<PendingSentence> pending = [];
    private readonly BatchDecoder decoder;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sentences in the last batch of each beam width: what <see cref="BatchDispatch.Adaptive"/> waits for (read and written under the gate by the decoding thread).</summary>
    private readonly Dictionary<int, int> lastBatchSizes = [];

    /// <summary>Sentences ever accepted (under the gate).</summary>
    private long accepted;

    /// <summary>What <see cref="accepted"/> was when the last batch was taken: a sentence numbered below it was passed over by that batch.</summary>
    private long acceptedAtLastBatch;
    private bool stopping;

    /// <summary>Creates the service and starts its decoding thread.</summary>
    /// <param name="model">The model to translate with (not owned: dispose it after the service).</param>
    /// <param name="options">Batching and decoding options; null for the defaults.</param>
    public TranslationService(Seq2SeqModel model, TranslationServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Options = options ?? new TranslationServiceOptions();
        Options.Validate();
        decoder = new BatchDecoder(model, Options);
        MaxSourceLength = decoder.MaxSourceLength;
        new Thread(Run) { IsBackground = true, Name = "seq2seq translation service" }.Start();
    }

    /// <summary>The model translated with.</summary>
    public Seq2SeqModel Model { get; }

    /// <summary>The options.</summary>
    public TranslationServiceOptions Options { get; }

    /// <summary>Most source tokens kept per sentence (longer input is truncated and says so); 0: unlimited.</summary>
    public int MaxSourceLength { get; }

    /// <summary>Sentences accepted and not yet taken into a batch.</summary>
    public int QueuedSentences
    {
        get
        {
            lock (gate)
            {
                return pending.Count(p => !p.IsSettled);
            }
        }
    }

    /// <summary>Whether <see cref="StopAsync"/> has been called (no new sentences are accepted).</summary>
    public bool IsStopping
    {
        get
        {
            lock (gate)
            {
                return stopping;
            }
        }
    }

    /// <summary>Translates one sentence.</summary>
    /// <param name="source">The sentence.</param>
    /// <param name="beamWidth">Beam width; 1 is greedy decoding.</param>
    /// <param name="nBest">Hypotheses to return (1 to <paramref name="beamWidth"/>).</param>
    /// <param name="cancellationToken">Drops the sentence if it is still queued.</param>
    /// <returns>The translation.</returns>
    public async Task<ServedTranslation> TranslateAsync(string source, int beamWidth = 1, int nBest = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var results = await TranslateAsync([source], beamWidth, nBest, cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Translates many sentences; the results are in the order of <paramref name="sources"/>.</summary>
    /// <param name="sources">The sentences.</param>
    /// <param name="beamWidth">Beam width; 1 is greedy decoding.</param>
    /// <param name="nBest">Hypotheses to return per sentence (1 to <paramref name="beamWidth"/>).</param>
    /// <param name="cancellationToken">Drops the sentences still queued and cancels the call.</param>
    /// <returns>The translations.</returns>
    /// <exception cref="InvalidOperationException">The service is stopping.</exception>
    public async Task<IReadOnlyList<ServedTranslation>> TranslateAsync(
        IReadOnlyList<string> sources, int beamWidth = 1, int nBest = 1, CancellationToken cancellationToken = default)
    {
        var items = Enqueue(sources, beamWidth, nBest, cancellationToken);
        using var registration = cancellationToken.Register(() => Cancel(items, cancellationToken));
        return await Task.WhenAll(items.Select(p => p.Completion.Task)).ConfigureAwait(false);
    }

    /// <summary>Translates many sentences, yielding each translation, in order, as soon as it and those before it are done.</summary>
    /// <param name="sources">The sentences (all queued at once).</param>
    /// <param name="beamWidth">Beam width; 1 is greedy decoding.</param>
    /// <param name="nBest">Hypotheses to return per sentence (1 to <paramref name="beamWidth"/>).</param>
    /// <param name="cancellationToken">Drops the sentences still queued and ends the enumeration; so does leaving it early.</param>
    /// <returns>The translations.</returns>
    /// <exception cref="InvalidOperationException">The service is stopping.</exception>
    public async IAsyncEnumerable<ServedTranslation> TranslateStreamAsync(
        IReadOnlyList<string> sources, int beamWidth = 1, int nBest = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var items = Enqueue(sources, beamWidth, nBest, cancellationToken);
        using var registration = cancellationToken.Register(() => Cancel(items, cancellationToken));
        try
        {
            foreach (var item in items)
            {
                yield return await item.Completion.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            Cancel(items, CancellationToken.None);
        }
    }

    /// <summary>Accepts no new sentences, decodes every one already accepted (without waiting to fill batches), then ends the decoding thread.</summary>
    /// <returns>A task that completes when the accepted work is done; calling again returns the same.</returns>
    public Task StopAsync()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }

        return stopped.Task;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <inheritdoc />
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void Cancel(IEnumerable<PendingSentence> items, CancellationToken cancellationToken)
    {
        int dropped = items.Count(item => item.Completion.TrySetCanceled(cancellationToken));
        if (dropped > 0)
        {
            Options.OnCancelled?.Invoke(dropped);
        }
    }

    private List<PendingSentence> Enqueue(IReadOnlyList<string> sources, int beamWidth, int nBest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (beamWidth < 1 || beamWidth > Options.MaxBeamWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, $"beam width must be between 1 and {Options.MaxBeamWidth}");
        }

        if (nBest < 1 || nBest > beamWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(nBest), nBest, $"n-best must be between 1 and the beam width {beamWidth}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var encoded = new List<(int[] Ids, bool Truncated)>(sources.Count);
        for (int i = 0; i < sources.Count; i++)
        {
            var source = sources[i] ?? throw new ArgumentException($"sentence {i} is null", nameof(sources));
            var ids = Model.Text.EncodeSource(source);
            bool truncated = MaxSourceLength > 0 && ids.Length > MaxSourceLength;
            encoded.Add((truncated ? ids[..MaxSourceLength] : ids, truncated));
        }

        List<PendingSentence> items;
        int queued;
        lock (gate)
        {
            if (stopping)
            {
                throw new InvalidOperationException("the translation service is stopping and accepts no new sentences");
            }

            long now = Stopwatch.GetTimestamp();
            items = encoded.Select(e => new PendingSentence(e.Ids, e.Truncated, beamWidth, nBest, now, accepted++)).ToList();
            pending.AddRange(items);
            queued = pending.Count;
            Monitor.PulseAll(gate);
        }

        Options.OnEnqueued?.Invoke(queued);

        return items;
    }

    private void Run()
    {
        try
        {
            while (NextBatch() is { } batch)
            {
                Decode(batch);
            }
        }
        finally
        {
            decoder.Dispose();
            stopped.TrySetResult();
        }
    }

    /// <summary>Waits for the next batch: the oldest sentence's beam width, as large as the dispatch policy wants, or due, or anything left while stopping; null once stopped and empty.</summary>
    private List<PendingSentence>? NextBatch()
    {
        lock (gate)
        {
            while (true)
            {
                pending.RemoveAll(p => p.IsSettled);
                if (pending.Count == 0)
                {
                    if (stopping)
                    {
                        return null;
                    }

                    Monitor.Wait(gate);
                    continue;
                }

                var head = pending[0];
                int capacity = Math.Max(1, Options.MaxBatch / head.BeamWidth);
                var lane = pending.Where(p => p.BeamWidth == head.BeamWidth).Take(capacity).ToList();
                var waited = Stopwatch.GetElapsedTime(head.Enqueued);
                if (lane.Count >= Wanted(head, capacity) || stopping || waited >= Options.MaxDelay)
                {
                    lastBatchSizes[head.BeamWidth] = lane.Count;
                    acceptedAtLastBatch = accepted;
                    var taken = lane.ToHashSet();
                    pending.RemoveAll(taken.Contains);
                    return lane;
                }

                Monitor.Wait(gate, Options.MaxDelay - waited);
            }
        }
    }

    /// <summary>How many sentences of the oldest one's beam width the free decoding thread waits for (up to the delay) before it decodes them.</summary>
    private int Wanted(PendingSentence oldest, int capacity) => Options.Dispatch switch
    {
        // Passed over by the last batch (it was full, or of another beam width): it has waited a whole decode already.
        BatchDispatch.Adaptive when oldest.Sequence < acceptedAtLastBatch => 1,

        // Callers that wait for their answers come back about as many as were answered together: expect that many again.
        BatchDispatch.Adaptive => Math.Min(capacity, lastBatchSizes.GetValueOrDefault(oldest.BeamWidth, 1)),
        _ => capacity,
    };

    private void Decode(List<PendingSentence> batch)
    {
        long started = Stopwatch.GetTimestamp();
        var queueTimes = batch.Select(p => Stopwatch.GetElapsedTime(p.Enqueued, started)).ToList();
        int beamWidth = batch[0].BeamWidth;
        Exception? error = null;
        try
        {
            var results = decoder.Decode(beamWidth, batch.Select(p => p.Ids).ToList());
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(new ServedTranslation(results[i].Take(batch[i].NBest).ToList(), batch[i].Truncated));
            }
        }
#pragma warning disable CA1031 // The decoding thread serves every caller: a failed batch fails its callers, never the service.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
            foreach (var item in batch)
            {
                item.Completion.TrySetException(e);
            }
        }

        Options.OnBatch?.Invoke(new DecodedBatch(beamWidth, batch.Count, queueTimes, Stopwatch.GetElapsedTime(started), error));
    }
}
