namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Read access to a matrix's elements as FP32, whatever precision they are stored in: the right operand of the
/// product kernels and the weight matrices of the recurrent and decoding kernels are generic over it, so one kernel
/// source serves FP32 weights (<see cref="Fp32Elements"/>) and their bfloat16 copies (<see cref="BFloat16Elements"/>).
/// Implemented by structs only: ILGPU specializes each kernel for the struct it is loaded with, so the FP32
/// instantiation compiles to the plain load it always was.
/// </summary>
internal interface IMatrixElements
{
    /// <summary>Element <paramref name="index"/> (flat, into the whole view) as an FP32 value.</summary>
    float Load(long index);
}
