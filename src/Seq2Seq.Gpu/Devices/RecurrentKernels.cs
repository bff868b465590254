namespace Seq2Seq.Gpu.Devices;

/// <summary>How the ILGPU kernels run an LSTM layer's recurrence (the <c>--gpu-kernels</c> choice).</summary>
public enum RecurrentKernels
{
    /// <summary>Per step a matrix product (h·U) and a cell kernel: two launches a step.</summary>
    PerOperation,

    /// <summary>Per step one fused kernel (the product's tile and the cell together): one launch a step.</summary>
    Fused,

    /// <summary>
    /// A layer's whole recurrence (all T steps, forward or backward) as one persistent launch with a grid barrier between
    /// steps. Needs every group resident at once: CUDA, or ILGPU's CPU accelerator (for tests).
    /// </summary>
    Persistent,
}
