using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Distributed;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The ranks of a data-parallel job as threads of the test process: in a collective each rank puts its values in its
/// slot, all meet at a barrier, each reads what it needs (the sum of the slots in rank order, or rank 0's slot), and all
/// meet again before the slots are reused. A rank that does not arrive within a minute fails the collective instead
/// of hanging the test.
/// </summary>
internal sealed class ThreadRanks : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    private readonly Barrier barrier;
    private readonly Array[] slots;

    /// <summary>Creates a job of <paramref name="size"/> ranks.</summary>
    public ThreadRanks(int size)
    {
        barrier = new Barrier(size);
        slots = new Array[size];
        Ranks = Enumerable.Range(0, size).Select(rank => (IGradientCommunicator)new Member(this, rank)).ToArray();
    }

    /// <summary>The communicator of each rank, to be used by one thread each.</summary>
    public IReadOnlyList<IGradientCommunicator> Ranks { get; }

    /// <summary>How many float buffers have been all-reduced (counted by rank 0).</summary>
    public int BufferReductions { get; private set; }

    /// <inheritdoc />
    public void Dispose() => barrier.Dispose();

    /// <summary>Puts <paramref name="values"/> in this rank's slot and gives every rank's values, in rank order.</summary>
    private T[][] Exchange<T>(int rank, T[] values)
    {
        slots[rank] = values;
        Meet();
        T[][] all = slots.Select(slot => ((T[])slot).ToArray()).ToArray();
        Meet();
        return all;
    }

    private void Meet()
    {
        if (!barrier.SignalAndWait(Timeout))
        {
            throw new TimeoutException($"not every rank reached the collective within {Timeout.TotalSeconds} s");
        }
    }

    private sealed class Member(ThreadRanks job, int rank) : IGradientCommunicator
    {
        public int Rank => rank;

        public int Size => job.slots.Length;

        public string Description => $"{Size} ranks on threads";

        public void AllReduceSum(DeviceBuffer<float> buffer)
        {
            float[][] all = job.Exchange(rank, buffer.ToArray());
            float[] sum = new float[all[0].Length];
            foreach (float[] values in all)
            {
                for (int i = 0; i < sum.Length; i++)
                {
                    sum[i] += values[i];
                }
            }

            buffer.CopyFrom(sum);
            if (rank == 0)
            {
                job.BufferReductions++; // rank 0's alone: a write by every rank would race
            }
        }

        public void AllReduceSum(Span<double> values)
        {
            double[][] all = job.Exchange(rank, values.ToArray());
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = all.Sum(v => v[i]);
            }
        }

        public void Broadcast(DeviceBuffer<float> buffer) => buffer.CopyFrom(job.Exchange(rank, buffer.ToArray())[0]);

        public void Broadcast(Span<long> values) => job.Exchange(rank, values.ToArray())[0].CopyTo(values);
    }
}
