namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>A level of the memory hierarchy a working set can sit in.</summary>
internal enum MemoryLevel
{
    /// <summary>The cores' private L2 caches.</summary>
    L2,

    /// <summary>The shared last-level L3 cache(s).</summary>
    L3,

    /// <summary>Main memory.</summary>
    Dram,
}
