namespace Seq2Seq.Serve.Load;

/// <summary>One measured point: a server configuration under a number of concurrent clients.</summary>
/// <param name="Batching">The configuration's name.</param>
/// <param name="Clients">Concurrent clients, each with one request in flight at a time.</param>
/// <param name="Sentences">Sentences answered in the measured window.</param>
/// <param name="Seconds">The window's length.</param>
/// <param name="Latencies">Every request's round trip, sorted.</param>
/// <param name="MeanBatch">Mean sentences a device batch in the window.</param>
/// <param name="DecodeMs">Mean decode time of a batch in the window, in milliseconds.</param>
/// <param name="CpuSeconds">Processor time this process used in the window, in seconds (all its threads).</param>
internal sealed record LoadPoint(string Batching, int Clients, int Sentences, double Seconds, double[] Latencies, double MeanBatch, double DecodeMs, double CpuSeconds)
{
    /// <summary>Sentences answered a second.</summary>
    public double SentencesPerSecond => Sentences / Seconds;

    /// <summary>The latency at quantile <paramref name="q"/> (nearest rank), in milliseconds.</summary>
    public double Percentile(double q) => Latencies.Length == 0 ? double.NaN : Latencies[Math.Clamp((int)Math.Ceiling(q * Latencies.Length) - 1, 0, Latencies.Length - 1)] * 1000;
}
