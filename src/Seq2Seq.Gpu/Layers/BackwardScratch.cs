using ILGPU;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Scratch buffers of the backward pass, shared by both sides and all layers: the gate gradients of one layer
/// [T·B, 4H] and the gradient into one layer's inputs [T·B, max(E, H)].
/// </summary>
internal sealed class BackwardScratch : IDisposable
{
    private readonly DeviceBuffer<float> gates;
    private readonly DeviceBuffer<float> inputs;

    public BackwardScratch(ComputeDevice device, long maxRows, int gateWidth, int inputWidth)
    {
        gates = device.Allocate<float>(maxRows * gateWidth, "gate gradients");
        try
        {
            inputs = device.Allocate<float>(maxRows * Math.Max(inputWidth, 1), "input gradients");
        }
        catch
        {
            gates.Dispose();
            throw;
        }
    }

    /// <summary>The buffers the constructor allocates for these sizes (for memory estimates; the same shapes).</summary>
    public static IEnumerable<MemoryItem> Plan(long maxRows, int gateWidth, int inputWidth) =>
    [
        MemoryItem.Of("gate gradients", "[T·B x 4H]", [maxRows, gateWidth]),
        MemoryItem.Of("input gradients", "[T·B x max(E, H)]", [maxRows, Math.Max(inputWidth, 1)]),
    ];

    public ArrayView<float> Gates(int rows, int width) => gates.Slice(0, (long)rows * width);

    public ArrayView<float> Inputs(int rows, int width) => inputs.Slice(0, (long)rows * width);

    public void Dispose()
    {
        gates.Dispose();
        inputs.Dispose();
    }
}
