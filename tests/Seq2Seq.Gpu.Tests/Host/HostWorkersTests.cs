using System.Collections.Concurrent;
using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The host kernels' fork-join (<see cref="HostWorkers"/>): every task runs exactly once whatever the counts and the
/// threads, several threads do take part, an exception reaches the caller as thrown and leaves the workers usable, and
/// calls from inside a task or from several threads at once complete. Each test has workers of its own (three, more
/// than a 2-core machine's one, so that workers also race each other), stopped at the end.
/// </summary>
public sealed class HostWorkersTests
{
    /// <summary>Longest a test waits for a worker to join or an operation to end (a loaded machine may be slow to wake a thread; never reached when it works).</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="action"/> on a thread of its own and fails, instead of hanging the run, if it has not ended within <see cref="JoinTimeout"/> (its exception is rethrown).</summary>
    private static void WithinTimeout(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.That(thread.Join(JoinTimeout * 2), Is.True, "the operation did not end");
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>Asserts that a worker joins an operation: its first task waits until another thread has started one.</summary>
    private static void AssertAWorkerJoins(HostWorkers workers)
    {
        var threadOfTask = new ConcurrentDictionary<int, int>();
        using var secondTaskStarted = new ManualResetEventSlim();
        bool joined = true;
        WithinTimeout(() => workers.For(4, 4, i =>
        {
            threadOfTask[i] = Environment.CurrentManagedThreadId;
            if (threadOfTask.Count >= 2)
            {
                secondTaskStarted.Set();
            }

            // Task 0 waits until a second task has started, which only another thread can do.
            if (i == 0 && !secondTaskStarted.Wait(JoinTimeout))
            {
                joined = false;
            }
        }));

        Assert.That(joined, Is.True, "no second thread started a task while the first one waited");
        Assert.That(threadOfTask.Keys, Is.EquivalentTo(new[] { 0, 1, 2, 3 }));
        Assert.That(threadOfTask.Values.Distinct().Count(), Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public void Every_task_runs_exactly_once_whatever_the_count_and_the_threads()
    {
        using var workers = new HostWorkers(3);
        foreach (int count in new[] { 0, 1, 2, 3, 4, 7, 64, 1000 })
        {
            foreach (int threads in new[] { 1, 2, 4, 8 })
            {
                // Repeated, back to back and with pauses, so that workers join while spinning and after blocking.
                for (int round = 0; round < 50; round++)
                {
                    var runs = new int[count];
                    WithinTimeout(() => workers.For(count, threads, i => Interlocked.Increment(ref runs[i])));
                    Assert.That(runs, Is.All.EqualTo(1), $"{count} tasks on {threads} threads, round {round}");
                    if (round % 10 == 9)
                    {
                        Thread.Sleep(2);
                    }
                }
            }
        }
    }

    [Test]
    public void Workers_take_part_in_an_operation()
    {
        using var workers = new HostWorkers(3);
        AssertAWorkerJoins(workers);
    }

    [Test]
    public void The_caller_returns_only_once_the_workers_that_joined_are_done()
    {
        using var workers = new HostWorkers(3);
        var done = new int[16];
        using var otherThreadStarted = new ManualResetEventSlim();
        bool joined = true;
        WithinTimeout(() =>
        {
            int callerThread = Environment.CurrentManagedThreadId;
            workers.For(done.Length, 4, i =>
            {
                if (Environment.CurrentManagedThreadId != callerThread)
                {
                    otherThreadStarted.Set();

                    // Slower than the caller's tasks, so that the caller runs out of tasks while a worker still holds one.
                    Thread.Sleep(20);
                }
                else if (i == 0 && !otherThreadStarted.Wait(JoinTimeout))
                {
                    joined = false;
                }

                Volatile.Write(ref done[i], 1);
            });
        });

        Assert.That(joined, Is.True, "no worker joined");
        Assert.That(done, Is.All.EqualTo(1));
    }

    [Test]
    public void One_thread_runs_every_task_on_the_caller_in_order()
    {
        using var workers = new HostWorkers(3);
        var order = new List<int>();
        int caller = Environment.CurrentManagedThreadId;
        workers.For(6, 1, i =>
        {
            Assert.That(Environment.CurrentManagedThreadId, Is.EqualTo(caller));
            order.Add(i);
        });

        Assert.That(order, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void A_task_exception_reaches_the_caller_as_thrown_and_the_workers_stay_usable()
    {
        using var workers = new HostWorkers(3);
        var failure = new InvalidOperationException("task 5 failed");
        var thrown = Assert.Throws<InvalidOperationException>(() => workers.For(64, 4, i =>
        {
            if (i == 5)
            {
                throw failure;
            }
        }));
        Assert.That(thrown, Is.SameAs(failure));

        var runs = new int[100];
        WithinTimeout(() => workers.For(runs.Length, 4, i => Interlocked.Increment(ref runs[i])));
        Assert.That(runs, Is.All.EqualTo(1));
        AssertAWorkerJoins(workers);
    }

    [Test]
    public void A_task_exception_stops_the_tasks_not_yet_started()
    {
        using var workers = new HostWorkers(3);
        const int Count = 2000;
        int started = 0;

        // Every task but the failing one takes 1 ms: all of them would take a second even on four threads.
        Assert.Throws<InvalidOperationException>(() => WithinTimeout(() => workers.For(Count, 4, i =>
        {
            Interlocked.Increment(ref started);
            if (i == 0)
            {
                throw new InvalidOperationException("task 0 failed");
            }

            Thread.Sleep(1);
        })));
        Assert.That(started, Is.LessThan(Count / 2));
    }

    [Test]
    public void A_split_inside_a_task_completes()
    {
        using var workers = new HostWorkers(3);
        var runs = new int[8, 16];
        WithinTimeout(() => workers.For(8, 4, outer => workers.For(16, 4, inner => Interlocked.Increment(ref runs[outer, inner]))));
        Assert.That(runs.Cast<int>(), Is.All.EqualTo(1));
    }

    [Test]
    public void Callers_on_several_threads_at_once_each_get_all_their_tasks()
    {
        using var workers = new HostWorkers(3);
        const int Callers = 4;
        const int Rounds = 200;
        var failures = new ConcurrentBag<string>();
        var threads = Enumerable.Range(0, Callers).Select(c => new Thread(() =>
        {
            try
            {
                for (int round = 0; round < Rounds; round++)
                {
                    int count = 1 + ((round * 7) + c) % 40;
                    var runs = new int[count];
                    workers.For(count, 3, i => Interlocked.Increment(ref runs[i]));
                    if (runs.Any(r => r != 1))
                    {
                        failures.Add($"caller {c}, round {round}: {string.Join(",", runs)}");
                    }
                }
            }
            catch (Exception e)
            {
                failures.Add($"caller {c}: {e}");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.That(threads.All(t => t.Join(JoinTimeout * 2)), Is.True, "a caller did not finish");
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void Workers_of_none_run_everything_on_the_caller_and_dispose()
    {
        var workers = new HostWorkers(0);
        int caller = Environment.CurrentManagedThreadId;
        var threadsSeen = new ConcurrentBag<int>();
        workers.For(8, 4, _ => threadsSeen.Add(Environment.CurrentManagedThreadId));
        Assert.That(threadsSeen, Has.Count.EqualTo(8));
        Assert.That(threadsSeen, Is.All.EqualTo(caller));
        Assert.DoesNotThrow(workers.Dispose);
    }

    [Test]
    public void After_disposal_operations_run_on_the_caller()
    {
        var workers = new HostWorkers(3);
        workers.For(8, 4, _ => { });
        workers.Dispose();
        int caller = Environment.CurrentManagedThreadId;
        var threadsSeen = new ConcurrentBag<int>();
        workers.For(16, 4, _ => threadsSeen.Add(Environment.CurrentManagedThreadId));
        Assert.That(threadsSeen, Has.Count.EqualTo(16));
        Assert.That(threadsSeen, Is.All.EqualTo(caller));
    }
}
