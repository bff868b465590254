using ILGPU;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Per-layer gradient scratch of the backward pass, shared by every layer of both sides (one layer at a time uses it):
/// the input gate gradients [T·B, G·H], for cells whose recurrent gradient differs (GRU) the recurrent gate gradients
/// [T·B, G·H], and a layer's input gradient [T·B, max(E, H)].
/// </summary>
internal sealed class BackwardScratch : IDisposable
{
    private readonly DeviceBuffer<float> gates;
    private readonly DeviceBuffer<float>? recurrentGates;
    private readonly DeviceBuffer<float> inputs;

    public BackwardScratch(ComputeDevice device, long maxRows, int gateWidth, int inputWidth, bool recurrentGateGradients)
    {
        try
        {
            gates = device.Allocate<float>(maxRows * gateWidth, "gate gradients");
            recurrentGates = recurrentGateGradients ? device.Allocate<float>(maxRows * gateWidth, "recurrent gate gradients") : null;
            inputs = device.Allocate<float>(maxRows * Math.Max(inputWidth, 1), "input gradients");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static IEnumerable<MemoryItem> Plan(long maxRows, int gateWidth, int inputWidth, bool recurrentGateGradients)
    {
        yield return MemoryItem.Of("gate gradients", "[T·B x G·H]", [maxRows, gateWidth]);
        if (recurrentGateGradients)
        {
            yield return MemoryItem.Of("recurrent gate gradients", "[T·B x G·H]", [maxRows, gateWidth]);
        }

        yield return MemoryItem.Of("input gradients", "[T·B x max(E, H)]", [maxRows, Math.Max(inputWidth, 1)]);
    }

    public ArrayView<float> Gates(int rows, int width) => gates.Slice(0, (long)rows * width);

    /// <summary>The recurrent gate gradients, or an empty view where the cell has none.</summary>
    public ArrayView<float> RecurrentGates(int rows, int width) => recurrentGates?.Slice(0, (long)rows * width) ?? default;

    public ArrayView<float> Inputs(int rows, int width) => inputs.Slice(0, (long)rows * width);

    public void Dispose()
    {
        gates?.Dispose();
        recurrentGates?.Dispose();
        inputs?.Dispose();
    }
}
