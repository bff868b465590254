using System.Globalization;
using System.Text;

namespace Seq2Seq.Cli.Serving;

/// <summary>A Prometheus histogram: cumulative bucket counts, the count and the sum of the observations. Thread-safe.</summary>
/// <param name="name">The metric name.</param>
/// <param name="help">Its one-line description.</param>
/// <param name="bounds">The buckets' upper bounds, ascending (+Inf is added).</param>
internal sealed class Histogram(string name, string help, double[] bounds)
{
    private readonly long[] counts = new long[bounds.Length + 1];
    private double sum;

    /// <summary>Observations so far.</summary>
    public long Count
    {
        get
        {
            lock (counts)
            {
                return counts.Sum();
            }
        }
    }

    /// <summary>The sum of the observations so far.</summary>
    public double Sum
    {
        get
        {
            lock (counts)
            {
                return sum;
            }
        }
    }

    /// <summary>Records one observation.</summary>
    public void Observe(double value)
    {
        int bucket = Array.FindIndex(bounds, b => value <= b);
        lock (counts)
        {
            counts[bucket < 0 ? bounds.Length : bucket]++;
            sum += value;
        }
    }

    /// <summary>Appends the histogram in the Prometheus text format.</summary>
    public void WriteTo(StringBuilder text)
    {
        long[] snapshot;
        double total;
        lock (counts)
        {
            snapshot = (long[])counts.Clone();
            total = sum;
        }

        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
        long cumulative = 0;
        for (int i = 0; i <= bounds.Length; i++)
        {
            cumulative += snapshot[i];
            string le = i < bounds.Length ? bounds[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{le}\"}} {cumulative}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{name}_sum {total.ToString("R", CultureInfo.InvariantCulture)}\n{name}_count {cumulative}\n");
    }
}
