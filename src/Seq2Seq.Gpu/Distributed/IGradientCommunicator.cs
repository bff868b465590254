using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, across the ranks (processes) of one job: every rank calls
/// every operation, in the same order, with buffers of the same length. A single process is one rank of one
/// (<see cref="SingleProcessCommunicator"/>, where every operation leaves its buffer as it is); an MPI job is
/// <see cref="MpiCommunicator"/>.
/// </summary>
internal interface IGradientCommunicator
{
    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1; rank 0 writes the job's files.</summary>
    int Rank { get; }

    /// <summary>The number of ranks in the job (1 for a single process).</summary>
    int Size { get; }

    /// <summary>What carries the collectives, for the log (e.g. "MPI (Open MPI v4.1.4), 2 ranks, through host memory").</summary>
    string Description { get; }

    /// <summary>Replaces every element of <paramref name="buffer"/> by its sum over the ranks (the gradients: one call a step).</summary>
    /// <param name="buffer">A device buffer of the same length on every rank.</param>
    void AllReduceSum(DeviceBuffer<float> buffer);

    /// <summary>Replaces every element of <paramref name="values"/> by its sum over the ranks (losses, counts).</summary>
    /// <param name="values">Host values, as many on every rank.</param>
    void AllReduceSum(Span<double> values);

    /// <summary>Replaces <paramref name="buffer"/> on every rank by rank 0's (initial weights, optimizer state).</summary>
    /// <param name="buffer">A device buffer of the same length on every rank.</param>
    void Broadcast(DeviceBuffer<float> buffer);

    /// <summary>Replaces <paramref name="values"/> on every rank by rank 0's (a run's fingerprint, checks).</summary>
    /// <param name="values">Host values, as many on every rank.</param>
    void Broadcast(Span<long> values);
}
