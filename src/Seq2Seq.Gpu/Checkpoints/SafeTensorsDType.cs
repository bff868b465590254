namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>The element types this engine reads and writes in a safetensors file.</summary>
internal enum SafeTensorsDType
{
    /// <summary>32-bit IEEE float, <c>"F32"</c> in the header. Weights and optimizer state.</summary>
    F32,

    /// <summary>32-bit signed integer, <c>"I32"</c> in the header.</summary>
    I32,

    /// <summary>64-bit signed integer, <c>"I64"</c> in the header (step counters and other small integer tensors).</summary>
    I64,
}
