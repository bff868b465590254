using System.Globalization;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// The device memory a piece of work will allocate, buffer by buffer, computed from the same shapes the allocating
/// code uses; <see cref="EnsureFits"/> compares what is still to be allocated with what the device has free.
/// </summary>
public sealed class MemoryEstimate
{
    /// <summary>Creates an estimate of the work <paramref name="what"/> (e.g. "training") made of <paramref name="items"/>.</summary>
    internal MemoryEstimate(string what, IEnumerable<MemoryItem> items)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(items);
        What = what;
        Items = items.ToArray();
        TotalBytes = Items.Sum(i => i.Bytes);
        NewBytes = Items.Where(i => !i.Allocated).Sum(i => i.Bytes);
    }

    /// <summary>What the memory is for.</summary>
    public string What { get; }

    /// <summary>The buffers.</summary>
    public IReadOnlyList<MemoryItem> Items { get; }

    /// <summary>All the buffers, those that exist already included.</summary>
    public long TotalBytes { get; }

    /// <summary>The buffers still to be allocated.</summary>
    public long NewBytes { get; }

    /// <summary>The largest buffers still to be allocated, largest first, e.g. for an error message.</summary>
    public IEnumerable<MemoryItem> Largest(int count) => Items.Where(i => !i.Allocated).OrderByDescending(i => i.Bytes).Take(count);

    /// <summary>
    /// Throws a <see cref="DeviceException"/> with the numbers (needed, available, the largest buffers) when the
    /// buffers still to be allocated exceed <see cref="ComputeDevice.AvailableMemoryBytes"/>; so work that cannot fit
    /// fails before it allocates anything, instead of running the machine out of memory part way.
    /// </summary>
    public void EnsureFits(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        long available = device.AvailableMemoryBytes;
        if (NewBytes <= available)
        {
            return;
        }

        string largest = string.Join("; ", Largest(3));
        throw new DeviceException(
            $"{What} needs {FormatBytes(NewBytes)} more memory ({FormatBytes(TotalBytes)} in all) but {FormatBytes(available)} is available on {device.Info.Name}"
            + $" ({device.AvailableMemorySource}); largest: {largest}");
    }

    /// <summary>Bytes for people: "812 B", "1.4 MB", "2.6 GB" (powers of 1000).</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
