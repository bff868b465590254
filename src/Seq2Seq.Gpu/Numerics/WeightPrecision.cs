namespace Seq2Seq.Gpu.Numerics;

/// <summary>
/// The precision decoding reads its weight matrices in. The weight store is always FP32 (training is unchanged);
/// BF16 is an inference-time packed copy of the decoder's matrices, made once per loaded model, whose products
/// still accumulate in FP32. See docs/inference.md ("BF16 weights").
/// </summary>
public enum WeightPrecision
{
    /// <summary>The weights as stored: IEEE single precision.</summary>
    Fp32,

    /// <summary>bfloat16 copies (8 exponent bits, 8 significant bits), widened to FP32 in the products.</summary>
    Bf16,
}
