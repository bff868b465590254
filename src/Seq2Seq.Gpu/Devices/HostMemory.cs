using System.Globalization;

namespace Seq2Seq.Gpu.Devices;

/// <summary>How much host memory new allocations can still get (the CPU accelerator's buffers are host memory).</summary>
internal static class HostMemory
{
    /// <summary>
    /// Linux: <c>MemAvailable</c> (free memory plus what the kernel can reclaim), lowered to the cgroup's headroom
    /// (<c>memory.max - memory.current</c>) when the process runs under a cgroup v2 limit. Elsewhere: the memory the
    /// .NET runtime sees as available less this process's working set.
    /// </summary>
    public static (long Bytes, string Source) Available()
    {
        long? meminfo = ReadMemAvailable();
        long? cgroup = ReadCgroupHeadroom();
        if (meminfo is { } m)
        {
            return cgroup is { } c && c < m ? (c, "headroom under the cgroup's memory.max") : (m, "host MemAvailable");
        }

        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return (Math.Max(total - Environment.WorkingSet, 0), "host memory available to .NET less this process's working set");
    }

    private static long? ReadMemAvailable()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/meminfo"))
            {
                return null;
            }

            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // No figure: the caller falls back to what the runtime reports.
        }

        return null;
    }

    private static long? ReadCgroupHeadroom()
    {
        try
        {
            const string max = "/sys/fs/cgroup/memory.max", current = "/sys/fs/cgroup/memory.current";
            if (!OperatingSystem.IsLinux() || !File.Exists(max) || !File.Exists(current))
            {
                return null;
            }

            string limit = File.ReadAllText(max).Trim();
            if (limit == "max")
            {
                return null;
            }

            return Math.Max(long.Parse(limit, CultureInfo.InvariantCulture) - long.Parse(File.ReadAllText(current).Trim(), CultureInfo.InvariantCulture), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
