using System.Globalization;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// The sizes of the caches that bound the bandwidth measurements: a core's private L2 and the last-level L3 with how
/// many logical processors share one L3. Read from Linux's <c>/sys/devices/system/cpu/cpu0/cache/index*</c>, or typical
/// sizes (<see cref="FromSystem"/> false) where that folder is missing or says nothing usable.
/// </summary>
/// <param name="L2Bytes">One core's L2 (unified) cache.</param>
/// <param name="L3Bytes">One L3 cache instance.</param>
/// <param name="L3SharedBy">Logical processors sharing that L3 instance (at least 1).</param>
/// <param name="FromSystem">True when read from the system, false for the typical fallback sizes.</param>
internal sealed record CacheSizes(long L2Bytes, long L3Bytes, int L3SharedBy, bool FromSystem)
{
    /// <summary>Linux's cache description folder for the first processor.</summary>
    public const string LinuxCacheFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>Typical sizes of a current x64 server core (1 MiB L2, 32 MiB L3 shared by every processor), used when the system says nothing.</summary>
    public static CacheSizes Typical { get; } = new(1L << 20, 32L << 20, Environment.ProcessorCount, false);

    /// <summary>Words for the output: where the sizes came from.</summary>
    public string Source => FromSystem ? "read from /sys" : "typical sizes assumed: the cache sizes could not be read";

    /// <summary>The caches of this machine: <see cref="Read(string)"/> of <see cref="LinuxCacheFolder"/>.</summary>
    public static CacheSizes ReadSystem() => Read(LinuxCacheFolder);

    /// <summary>
    /// Reads <paramref name="folder"/>'s <c>index*/level</c>, <c>type</c>, <c>size</c> (e.g. <c>1024K</c>) and
    /// <c>shared_cpu_list</c> (e.g. <c>0-7,64-71</c>); a level that is missing or unreadable takes its typical size,
    /// and when neither L2 nor L3 is found the result is <see cref="Typical"/>.
    /// </summary>
    /// <param name="folder">A folder laid out like <see cref="LinuxCacheFolder"/>.</param>
    public static CacheSizes Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            return Typical;
        }

        long? l2 = null, l3 = null;
        int l3SharedBy = Typical.L3SharedBy;
        foreach (var index in Directory.EnumerateDirectories(folder, "index*"))
        {
            string? level = ReadLine(index, "level");
            string? type = ReadLine(index, "type");
            long? size = ParseSize(ReadLine(index, "size"));
            if (size is null || type is not ("Unified" or "Data"))
            {
                continue;
            }

            if (level == "2")
            {
                l2 = size;
            }
            else if (level == "3")
            {
                l3 = size;
                l3SharedBy = CountProcessors(ReadLine(index, "shared_cpu_list")) ?? l3SharedBy;
            }
        }

        return l2 is null && l3 is null
            ? Typical
            : new CacheSizes(l2 ?? Typical.L2Bytes, l3 ?? Typical.L3Bytes, Math.Max(1, l3SharedBy), true);
    }

    /// <summary>A <c>size</c> file's value: bytes, or a count with a K, M or G suffix (binary units); null if malformed.</summary>
    internal static long? ParseSize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        long unit = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            _ => 1,
        };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 ? value * unit : null;
    }

    /// <summary>Processors in a <c>shared_cpu_list</c> such as <c>0-7,64-71</c> (16); null if malformed.</summary>
    internal static int? CountProcessors(string? list)
    {
        if (string.IsNullOrEmpty(list))
        {
            return null;
        }

        int count = 0;
        foreach (var range in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = range.Split('-');
            if (!int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)
                || !int.TryParse(ends[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int last)
                || ends.Length > 2 || last < first)
            {
                return null;
            }

            count += last - first + 1;
        }

        return count > 0 ? count : null;
    }

    private static string? ReadLine(string folder, string file)
    {
        try
        {
            string path = Path.Combine(folder, file);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
