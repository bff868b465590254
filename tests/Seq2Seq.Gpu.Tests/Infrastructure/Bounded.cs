namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Runs a fuzz case with a time limit, counting its allocations.</summary>
public static class Bounded
{
    /// <summary>
    /// Runs <paramref name="function"/> on a pool thread and fails the test if it does not finish within
    /// <paramref name="limit"/> (a hang in a fuzz case is a failure, not a stuck run); any exception is caught and
    /// returned. Allocations are counted on the thread that runs it.
    /// </summary>
    public static BoundedRun<T> Run<T>(Func<T> function, TimeSpan limit, string what)
    {
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                T result = function();
                return new BoundedRun<T>(result, null, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            catch (Exception e)
            {
                return new BoundedRun<T>(default, e, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        });
        if (!task.Wait(limit))
        {
            Assert.Fail($"{what} took longer than {limit.TotalSeconds} s");
        }

        return task.Result;
    }
}
