namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>A vector path of the host kernels under test.</summary>
public enum HostPath
{
    /// <summary>128-bit portable vectors.</summary>
    Portable,

    /// <summary>AVX2 + FMA (skipped where the processor lacks it).</summary>
    Avx2,

    /// <summary>AVX-512 on hardware (skipped where the processor lacks it).</summary>
    Avx512,

    /// <summary>The AVX-512 code path on .NET's software emulation of 512-bit vectors, where the hardware lacks them.</summary>
    Avx512Emulated,
}
