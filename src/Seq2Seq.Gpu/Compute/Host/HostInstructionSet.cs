namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>The vector instruction set a <see cref="HostKernels"/> instance runs its loops with.</summary>
internal enum HostInstructionSet
{
    /// <summary>128-bit vectors through the portable <c>Vector128</c> API (SSE on x64, AdvSimd on Arm); runs everywhere.</summary>
    Portable,

    /// <summary>256-bit vectors with fused multiply-add (x64 AVX2 + FMA3).</summary>
    Avx2,

    /// <summary>512-bit vectors (x64 AVX-512F).</summary>
    Avx512,
}
