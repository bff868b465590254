namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Chunked thread mapping used by every implicitly grouped kernel: thread <c>t</c> of a launch handles the work
/// items <c>[t * chunk, min((t + 1) * chunk, count))</c>. On a GPU the chunk is 1 (one item a thread, coalesced);
/// on ILGPU's CPU accelerator, where every launched thread costs about a microsecond, it is large.
/// </summary>
internal static class LaunchChunk
{
    /// <summary>First work item of thread <paramref name="thread"/>.</summary>
    public static int Begin(int thread, int chunk) => thread * chunk;

    /// <summary>One past the last work item of thread <paramref name="thread"/>.</summary>
    public static int End(int thread, int chunk, int count)
    {
        long end = ((long)thread + 1) * chunk;
        return end < count ? (int)end : count;
    }

    /// <summary>Number of threads to launch for <paramref name="count"/> items at <paramref name="chunk"/> a thread.</summary>
    public static int Threads(int count, int chunk) => count <= 0 ? 0 : (int)(((long)count + chunk - 1) / chunk);
}
