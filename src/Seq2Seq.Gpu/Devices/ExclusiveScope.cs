namespace Seq2Seq.Gpu.Devices;

/// <summary>Holds a device for the current thread until disposed (see <see cref="ComputeDevice.EnterExclusive"/>).</summary>
internal readonly struct ExclusiveScope : IDisposable, IEquatable<ExclusiveScope>
{
    private readonly object? gate;

    internal ExclusiveScope(object gate)
    {
        this.gate = gate;
    }

    /// <summary>Equality of two scopes (same gate).</summary>
    public static bool operator ==(ExclusiveScope left, ExclusiveScope right) => left.Equals(right);

    /// <summary>Inequality of two scopes.</summary>
    public static bool operator !=(ExclusiveScope left, ExclusiveScope right) => !left.Equals(right);

    /// <summary>Releases the device.</summary>
    public void Dispose()
    {
        if (gate is not null)
        {
            Monitor.Exit(gate);
        }
    }

    /// <inheritdoc />
    public bool Equals(ExclusiveScope other) => ReferenceEquals(gate, other.gate);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ExclusiveScope other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => gate?.GetHashCode() ?? 0;
}
