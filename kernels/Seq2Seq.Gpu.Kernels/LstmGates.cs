namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Gate order inside every 4H block of an LSTM's kernel, recurrent kernel, bias and pre-activations:
/// input, forget, cell candidate, output (the order of Keras and PyTorch). Gate <c>k</c> of hidden unit
/// <c>j</c> sits at column <c>k * H + j</c>.
/// </summary>
internal static class LstmGates
{
    /// <summary>Input gate i = σ(z_i).</summary>
    public const int Input = 0;

    /// <summary>Forget gate f = σ(z_f).</summary>
    public const int Forget = 1;

    /// <summary>Cell candidate g = tanh(z_g).</summary>
    public const int Cell = 2;

    /// <summary>Output gate o = σ(z_o).</summary>
    public const int Output = 3;

    /// <summary>Number of gates, so a gate block is <c>Count * H</c> wide.</summary>
    public const int Count = 4;
}
