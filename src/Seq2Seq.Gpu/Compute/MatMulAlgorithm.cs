namespace Seq2Seq.Gpu.Compute;

/// <summary>Which matrix-product kernel to run.</summary>
public enum MatMulAlgorithm
{
    /// <summary>Tiled on GPUs, barrier-free rows on the CPU accelerator (where barriers cost ~100 µs each).</summary>
    Auto,

    /// <summary>The barrier-free kernel, one chunk of output elements per thread.</summary>
    Rows,

    /// <summary>The shared-memory tiled kernel.</summary>
    Tiled,
}
