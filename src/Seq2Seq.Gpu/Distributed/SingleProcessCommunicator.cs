using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Distributed;

/// <summary>
/// The communicator of a run that is not distributed: one rank, and every collective leaves its buffer unchanged (a
/// sum or a broadcast over one rank is the identity). It touches no native library.
/// </summary>
internal sealed class SingleProcessCommunicator : IGradientCommunicator
{
    private SingleProcessCommunicator()
    {
    }

    /// <summary>The one instance.</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public string Description => "a single process";

    /// <inheritdoc />
    public void AllReduceSum(DeviceBuffer<float> buffer) => ArgumentNullException.ThrowIfNull(buffer);

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
    }

    /// <inheritdoc />
    public void Broadcast(DeviceBuffer<float> buffer) => ArgumentNullException.ThrowIfNull(buffer);

    /// <inheritdoc />
    public void Broadcast(Span<long> values)
    {
    }
}
