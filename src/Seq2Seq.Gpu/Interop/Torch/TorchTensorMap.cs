namespace Seq2Seq.Gpu.Interop.Torch;

/// <summary>One PyTorch tensor of an exported model and the engine parameter it comes from.</summary>
/// <param name="TorchName">The name in a PyTorch <c>state_dict</c>, e.g. <c>encoder.weight_ih_l0</c>.</param>
/// <param name="TorchShape">Its shape in PyTorch's layout.</param>
/// <param name="Parameter">The engine parameter, e.g. <c>encoder.lstm.0.kernel</c>.</param>
/// <param name="Role">How the two are related.</param>
internal sealed record TorchTensorMap(string TorchName, int[] TorchShape, string Parameter, TorchTensorRole Role);
