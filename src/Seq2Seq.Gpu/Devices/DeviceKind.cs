namespace Seq2Seq.Gpu.Devices;

/// <summary>Which kind of compute device to open.</summary>
public enum DeviceKind
{
    /// <summary>The best one present: CUDA, then OpenCL, then ILGPU's CPU accelerator.</summary>
    Auto,

    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,

    /// <summary>An OpenCL GPU.</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator (always present).</summary>
    Cpu,
}
