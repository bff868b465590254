using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The fork-join of the host products of a few rows (decoding at batch 1 to 8): dedicated worker threads that wait for
/// the next operation spinning for a while before they block, and a caller that takes part in its own operation.
/// <para>
/// Such a product is 5-20 µs long (a 1 × 256 × 1024 recurrent product on two threads), about as long as
/// <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> takes to hand a half to a thread-pool thread that
/// has gone to sleep since the last step. Here a worker that finished an operation spins for <see cref="SpinTicks"/> on
/// the next one, and an operation never waits for a worker that has not joined it (the caller runs the tasks nobody
/// took, then withdraws the places still open), only for those that have. Measured on the 2-core development VM
/// (docs/benchmarks.md): the two-thread 1 × 256 × 1024 product 10.7-11.4 µs against 12.1-19.6 µs, keras-char's
/// greedy step at batch 1 21 / 23 / 20 µs against 26 / 26 / 21 µs. Longer operations (a training step's products and
/// cells, 50-500 µs) keep <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>: on this fork-join the
/// keras-char training step was faster on a quiet host but up to 29 % slower while the VM's host was busy (cause not
/// isolated; a spinning virtual CPU being descheduled by the host, so that the next operation runs on the caller
/// alone, would explain it).
/// </para>
/// <para>
/// One operation at a time uses the workers; a second caller meanwhile (two translators on two threads) or a call from
/// inside a task runs on <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>. Which thread runs which
/// task never changes a result: the kernels partition their work so that every output element is computed the same
/// way whoever computes it. An exception thrown by a task stops the tasks not yet started and is rethrown on the
/// caller, as it was thrown.
/// </para>
/// </summary>
internal sealed class HostWorkers : IDisposable
{
    /// <summary>How long (stopwatch ticks, about 200 µs) a worker spins for the next operation before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    [ThreadStatic]
    private static bool isWorker;

    private readonly SemaphoreSlim wake = new(0);
    private readonly int workerCount;
    private Operation? current;
    private int inUse;
    private int sleepers;
    private int started;
    private volatile bool stopping;

    /// <summary>Workers of their own (tests); their threads start on the first split operation.</summary>
    internal HostWorkers(int workerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workerCount);
        this.workerCount = workerCount;
    }

    /// <summary>The process's workers: one fewer than its processors (the caller is the last). Never disposed.</summary>
    public static HostWorkers Shared { get; } = new(Math.Max(0, Environment.ProcessorCount - 1));

    /// <summary>Stops the workers once they are waiting (a split operation in progress finishes first); later operations run on the caller.</summary>
    public void Dispose()
    {
        stopping = true;
        if (workerCount > 0)
        {
            wake.Release(workerCount);
        }
    }

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, <paramref name="count"/>) on up to <paramref name="maxThreads"/> threads, the caller's included.</summary>
    public void For(int count, int maxThreads, Action<int> body)
    {
        int helpers = stopping ? 0 : Math.Min(Math.Min(count, maxThreads) - 1, workerCount);
        if (helpers <= 0)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        if (isWorker || Interlocked.CompareExchange(ref inUse, 1, 0) != 0)
        {
            RunOnThreadPool(count, maxThreads, body);
            return;
        }

        Operation? operation = null;
        try
        {
            StartWorkers();
            operation = new Operation(body, count, helpers);
            Volatile.Write(ref current, operation);

            // Wakes no more blocked workers than the operation has places for (a 16-core machine's two-task product
            // should not wake fifteen); the others stay counted as asleep. A worker counted as asleep may have found
            // an operation without blocking: the permit it is given then costs it one more spin, nothing else.
            int asleep = Interlocked.Exchange(ref sleepers, 0);
            int woken = Math.Min(asleep, helpers);
            if (asleep > woken)
            {
                Interlocked.Add(ref sleepers, asleep - woken);
            }

            if (woken > 0)
            {
                wake.Release(woken);
            }

            operation.RunTasks();
        }
        finally
        {
            // Whatever happened, no worker is left inside the operation once the caller returns (the tasks use the
            // caller's buffers).
            operation?.Finish();
            Volatile.Write(ref current, null);
            Volatile.Write(ref inUse, 0);
        }

        operation.Error?.Throw();
    }

    /// <summary>The fallback, with the first exception of a task rethrown as it was thrown, as on the workers.</summary>
    private static void RunOnThreadPool(int count, int maxThreads, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxThreads }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private void StartWorkers()
    {
        if (Volatile.Read(ref started) != 0 || Interlocked.Exchange(ref started, 1) != 0)
        {
            return;
        }

        for (int w = 0; w < workerCount; w++)
        {
            new Thread(WorkerLoop) { IsBackground = true, Name = $"Seq2Seq host worker {w + 1}" }.Start();
        }
    }

    private void WorkerLoop()
    {
        isWorker = true;
        Operation? last = null;
        while (!stopping)
        {
            Operation? next = WaitForNext(last);
            if (next is null)
            {
                continue;
            }

            last = next;
            if (next.TryJoin())
            {
                next.RunTasks();
                next.Leave();
            }
        }
    }

    /// <summary>The next operation other than <paramref name="last"/>: spun for, then blocked for; null after a wake-up with none.</summary>
    private Operation? WaitForNext(Operation? last)
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = default(SpinWait);
        while (Stopwatch.GetTimestamp() < until && !stopping)
        {
            Operation? operation = Volatile.Read(ref current);
            if (operation is not null && operation != last)
            {
                return operation;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        // Counted before the last look, so that a caller publishing after it releases this worker.
        Interlocked.Increment(ref sleepers);
        Operation? seen = Volatile.Read(ref current);
        if ((seen is not null && seen != last) || stopping)
        {
            return seen;
        }

        wake.Wait();
        return null;
    }

    /// <summary>One split operation: its tasks, handed out in order, and the places open to workers.</summary>
    private sealed class Operation(Action<int> body, int count, int places)
    {
        private int next;
        private int openPlaces = places;
        private int joined;
        private ExceptionDispatchInfo? error;

        /// <summary>The first exception a task threw, or null.</summary>
        public ExceptionDispatchInfo? Error => Volatile.Read(ref error);

        /// <summary>Takes one of the open places; false when none is left (the caller withdrew them).</summary>
        public bool TryJoin()
        {
            // Counted as joined before the place is taken, so that the caller, once it has withdrawn the places, waits
            // for every worker that may have taken one.
            Interlocked.Increment(ref joined);
            int open = Volatile.Read(ref openPlaces);
            while (open > 0)
            {
                int seen = Interlocked.CompareExchange(ref openPlaces, open - 1, open);
                if (seen == open)
                {
                    return true;
                }

                open = seen;
            }

            Interlocked.Decrement(ref joined);
            return false;
        }

        /// <summary>Runs tasks until none is left.</summary>
        public void RunTasks()
        {
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) < count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref error, ExceptionDispatchInfo.Capture(e), null);
                    Volatile.Write(ref next, count);
                }
            }
        }

        /// <summary>A joined worker is done.</summary>
        public void Leave() => Interlocked.Decrement(ref joined);

        /// <summary>The caller, its own tasks done: withdraws the places still open and waits for the workers that joined.</summary>
        public void Finish()
        {
            Interlocked.Exchange(ref openPlaces, 0);
            var spinner = default(SpinWait);
            while (Volatile.Read(ref joined) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }
}
