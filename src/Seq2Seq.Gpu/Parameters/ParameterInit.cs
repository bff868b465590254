namespace Seq2Seq.Gpu.Parameters;

/// <summary>How a parameter is initialised (Keras defaults, DESIGN.md section 3).</summary>
internal enum ParameterInit
{
    /// <summary>All zeros.</summary>
    Zeros,

    /// <summary>Uniform in ±sqrt(6 / (fan_in + fan_out)) with fan_in, fan_out the rows and columns.</summary>
    GlorotUniform,

    /// <summary>A matrix with orthonormal rows or columns (Keras' orthogonal initializer, gain 1).</summary>
    Orthogonal,

    /// <summary>Uniform in ±0.05 (Keras' embedding default).</summary>
    EmbeddingUniform,

    /// <summary>An LSTM bias [4H]: zeros except the forget-gate quarter, which is 1 (Keras' unit_forget_bias).</summary>
    LstmBias,
}
