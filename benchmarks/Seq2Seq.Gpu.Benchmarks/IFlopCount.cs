namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>A benchmark class that can say how many floating-point operations one call of a method does.</summary>
public interface IFlopCount
{
    /// <summary>Operations of one invocation of <paramref name="method"/> with the current parameters (0 if not meaningful).</summary>
    double FlopsPerInvoke(string method);
}
