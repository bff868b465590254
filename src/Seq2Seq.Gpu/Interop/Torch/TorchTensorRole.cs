namespace Seq2Seq.Gpu.Interop.Torch;

/// <summary>How a PyTorch tensor is made from (and gives back) one of the engine's parameters.</summary>
internal enum TorchTensorRole
{
    /// <summary>The same values in the same layout (embeddings, the output bias).</summary>
    Same,

    /// <summary>The engine's [rows, cols] matrix transposed to PyTorch's [cols, rows] (kernels, the output kernel).</summary>
    Transposed,

    /// <summary>An LSTM's <c>bias_ih</c>: the engine's one bias [4H] (on import, <c>bias_ih + bias_hh</c>).</summary>
    LstmInputBias,

    /// <summary>An LSTM's <c>bias_hh</c>: zeros on export (on import, added to <c>bias_ih</c>).</summary>
    LstmRecurrentBias,

    /// <summary>A GRU's <c>bias_ih</c>: row 0 of the engine's [2, 3H] bias.</summary>
    GruInputBias,

    /// <summary>A GRU's <c>bias_hh</c>: row 1 of the engine's [2, 3H] bias.</summary>
    GruRecurrentBias,
}
