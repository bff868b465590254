namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Gate order inside every 3H block of a GRU's kernel, recurrent kernel, biases and pre-activations: reset, update,
/// new (candidate), the order of Keras, cuDNN and PyTorch. Gate <c>k</c> of hidden unit <c>j</c> sits at column
/// <c>k * H + j</c>.
/// </summary>
internal static class GruGates
{
    /// <summary>Reset gate r = σ(gx_r + gh_r).</summary>
    public const int Reset = 0;

    /// <summary>Update gate z = σ(gx_z + gh_z).</summary>
    public const int Update = 1;

    /// <summary>New (candidate) state n = tanh(gx_n + r·gh_n).</summary>
    public const int New = 2;

    /// <summary>Number of gates, so a gate block is <c>Count * H</c> wide.</summary>
    public const int Count = 3;
}
