using Seq2Seq.Gpu.Benchmarking;

namespace Seq2Seq.Gpu.Tests.Benchmarking;

/// <summary>Reading cache sizes from a folder laid out like Linux's <c>/sys/devices/system/cpu/cpu0/cache</c>.</summary>
public sealed class CacheSizesTests
{
    private string folder = string.Empty;

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("seq2seq-cache-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public void Reads_l2_and_l3_and_how_many_processors_share_the_l3()
    {
        Index(0, "1", "Data", "48K", "0");
        Index(1, "1", "Instruction", "32K", "0");
        Index(2, "2", "Unified", "2048K", "0");
        Index(3, "3", "Unified", "96M", "0-7,64-71");

        var caches = CacheSizes.Read(folder);

        Assert.That(caches, Is.EqualTo(new CacheSizes(2L << 20, 96L << 20, 16, true)));
    }

    [Test]
    public void A_missing_level_takes_its_typical_size()
    {
        Index(2, "2", "Unified", "512K", "0");

        var caches = CacheSizes.Read(folder);

        Assert.That(caches.L2Bytes, Is.EqualTo(512 * 1024));
        Assert.That(caches.L3Bytes, Is.EqualTo(CacheSizes.Typical.L3Bytes));
        Assert.That(caches.FromSystem, Is.True);
    }

    [Test]
    public void A_missing_or_unusable_folder_gives_the_typical_sizes_and_says_so()
    {
        Index(2, "2", "Unified", "lots", "0");

        Assert.That(CacheSizes.Read(folder), Is.EqualTo(CacheSizes.Typical));
        Assert.That(CacheSizes.Read(Path.Combine(folder, "absent")).FromSystem, Is.False);
        Assert.That(CacheSizes.Typical.Source, Does.Contain("typical"));
    }

    [TestCase("1024K", 1L << 20)]
    [TestCase("32M", 32L << 20)]
    [TestCase("65536", 65536L)]
    [TestCase("", null)]
    [TestCase("-1K", null)]
    public void Parses_sizes(string text, long? bytes) => Assert.That(CacheSizes.ParseSize(text), Is.EqualTo(bytes));

    [TestCase("0-1", 2)]
    [TestCase("3", 1)]
    [TestCase("0-7,64-71", 16)]
    [TestCase("7-3", null)]
    [TestCase("a-b", null)]
    public void Counts_processor_lists(string list, int? count) => Assert.That(CacheSizes.CountProcessors(list), Is.EqualTo(count));

    private void Index(int index, string level, string type, string size, string shared)
    {
        string dir = Directory.CreateDirectory(Path.Combine(folder, $"index{index}")).FullName;
        File.WriteAllText(Path.Combine(dir, "level"), level + "\n");
        File.WriteAllText(Path.Combine(dir, "type"), type + "\n");
        File.WriteAllText(Path.Combine(dir, "size"), size + "\n");
        File.WriteAllText(Path.Combine(dir, "shared_cpu_list"), shared + "\n");
    }
}
