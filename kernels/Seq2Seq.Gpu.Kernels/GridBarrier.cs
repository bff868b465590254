using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// A software barrier across all groups of a launch (ILGPU 1.5.3 has none): an arrival counter and a generation
/// number in global memory, <c>sync[0]</c> and <c>sync[32]</c> (128 bytes apart, so the groups spinning on the
/// generation do not contend with the arrivals), zero before the launch. The first thread of each group
/// publishes the group's writes with a device-level fence, arrives, and spins until the last group to arrive bumps
/// the generation; the group barriers around it hold the other threads. Correct only when every group of the grid is
/// resident at once (on a GPU: no more groups than the device runs concurrently; on ILGPU's CPU accelerator: no
/// more groups than it has simulated multiprocessors), otherwise it waits forever.
/// </summary>
internal static class GridBarrier
{
    /// <summary>Ints of the sync view the barrier uses: the counter at 0, the generation at <see cref="Generation"/>.</summary>
    public const int Length = 64;

    /// <summary>Index of the generation number: a cache line away from the counter.</summary>
    public const int Generation = 32;

    /// <summary>Waits until all <paramref name="groups"/> groups of the grid have arrived; every thread must call it.</summary>
    public static void Wait(ArrayView<int> sync, int groups)
    {
        Group.Barrier();
        if (Group.IsFirstThread)
        {
            MemoryFence.DeviceLevel();

            // Read the generation before arriving: it cannot move on until this group has arrived.
            int generation = Atomic.Add(ref sync[Generation], 0);
            if (Atomic.Add(ref sync[0], 1) == groups - 1)
            {
                Atomic.Exchange(ref sync[0], 0);
                MemoryFence.DeviceLevel();
                Atomic.Add(ref sync[Generation], 1);
            }
            else
            {
                // Atomic reads, so that neither the compiler nor a cache can hold on to a stale generation.
                while (Atomic.Add(ref sync[Generation], 0) == generation)
                {
                }
            }

            MemoryFence.DeviceLevel();
        }

        Group.Barrier();
    }
}
