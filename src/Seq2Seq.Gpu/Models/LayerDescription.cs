namespace Seq2Seq.Gpu.Models;

/// <summary>One recurrent layer of a side: where its three parameters live and its widths.</summary>
/// <param name="Index">0 for the layer that reads the inputs.</param>
/// <param name="InputWidth">Rows of the kernel: E (embeddings), V (one-hot inputs) or H (the layer below).</param>
/// <param name="GateWidth">Columns of both kernels: G·H for the cell's G gates.</param>
/// <param name="Kernel">Name of W [InputWidth, G·H].</param>
/// <param name="RecurrentKernel">Name of U [H, G·H].</param>
/// <param name="Bias">Name of the bias (shape per cell: [4H] for the LSTM, [2, 3H] for the GRU).</param>
internal sealed record LayerDescription(int Index, int InputWidth, int GateWidth, string Kernel, string RecurrentKernel, string Bias);
