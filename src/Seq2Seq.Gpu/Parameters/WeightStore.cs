using ILGPU;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Parameters;

/// <summary>
/// The one device-resident copy of a model's parameters: a single buffer laid out by a <see cref="ParameterLayout"/>,
/// a gradient buffer with the same layout, and optimizer-state buffers (created on demand) with the same layout.
/// Training and inference both read these buffers; nothing else holds the weights.
/// </summary>
internal sealed class WeightStore : IDisposable
{
    private readonly List<DeviceBuffer<float>> optimizerState = [];
    private readonly Lazy<DeviceBuffer<float>> gradients;

    /// <summary>Allocates a zeroed store for a layout on a device.</summary>
    public WeightStore(ComputeDevice device, ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(layout);
        Device = device;
        Layout = layout;

        // The model's parameters fail here, with the numbers, rather than part way through allocating or zeroing.
        new MemoryEstimate("the model's parameters", [MemoryItem.Of("parameters", "[P]", [layout.TotalCount])]).EnsureFits(device);
        Weights = device.Allocate<float>(layout.TotalCount, "model parameters");
        gradients = new Lazy<DeviceBuffer<float>>(() => device.Allocate<float>(layout.TotalCount, "parameter gradients"));
    }

    /// <summary>The device holding the buffers.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Where each parameter lives.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The parameter buffer.</summary>
    public DeviceBuffer<float> Weights { get; }

    /// <summary>The gradient buffer (same layout), allocated on first use so that inference-only models do not pay for it.</summary>
    public DeviceBuffer<float> Gradients => gradients.Value;

    /// <summary>Whether the gradient buffer exists yet.</summary>
    internal bool HasGradients => gradients.IsValueCreated;

    /// <summary>Number of optimizer-state buffers allocated so far.</summary>
    public int OptimizerSlotCount => optimizerState.Count;

    /// <summary>Counts changes to the weights (writes, initialisation, optimizer steps), so readers can tell they moved.</summary>
    public long Version { get; private set; }

    /// <summary>A parameter's weights as a view into the one buffer.</summary>
    public ArrayView<float> Weight(string name) => Slice(Weights, Layout[name]);

    /// <summary>A parameter's gradient as a view into the gradient buffer.</summary>
    public ArrayView<float> Gradient(string name) => Slice(Gradients, Layout[name]);

    /// <summary>Optimizer-state buffer <paramref name="slot"/> (e.g. RMSprop's mean square, Adam's two moments).</summary>
    public DeviceBuffer<float> OptimizerState(int slot)
    {
        if (slot < 0 || slot >= optimizerState.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), $"optimizer slot {slot} does not exist; {optimizerState.Count} are allocated");
        }

        return optimizerState[slot];
    }

    /// <summary>Makes sure at least <paramref name="slots"/> optimizer-state buffers exist (new ones are zero).</summary>
    public void EnsureOptimizerSlots(int slots)
    {
        while (optimizerState.Count < slots)
        {
            optimizerState.Add(Device.Allocate<float>(Layout.TotalCount, $"optimizer state {optimizerState.Count}"));
        }
    }

    /// <summary>Fills every parameter with its seeded Keras-default initial values.</summary>
    public void Initialize(ulong seed)
    {
        var host = new float[Layout.TotalCount];
        foreach (var spec in Layout.Parameters)
        {
            WeightInitializer.Create(spec, seed).CopyTo(host, spec.Offset);
        }

        Weights.CopyFrom(host);
        Version++;
    }

    /// <summary>Copies a parameter to the host.</summary>
    public float[] ReadTensor(string name) => Read(Weights, Layout[name]);

    /// <summary>Copies a parameter's gradient to the host.</summary>
    public float[] ReadGradient(string name) => Read(Gradients, Layout[name]);

    /// <summary>Copies a parameter's optimizer state in slot <paramref name="slot"/> to the host.</summary>
    public float[] ReadOptimizerState(int slot, string name) => Read(OptimizerState(slot), Layout[name]);

    /// <summary>Overwrites a parameter from the host; the length must match the parameter's shape exactly.</summary>
    public void WriteTensor(string name, ReadOnlySpan<float> values)
    {
        Write(Weights, Layout[name], values);
        Version++;
    }

    /// <summary>Overwrites a parameter's optimizer state in slot <paramref name="slot"/> from the host.</summary>
    public void WriteOptimizerState(int slot, string name, ReadOnlySpan<float> values) => Write(OptimizerState(slot), Layout[name], values);

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Gradients.Clear();

    /// <summary>Records that the weights changed on the device (called after an optimizer step).</summary>
    public void MarkUpdated() => Version++;

    /// <inheritdoc />
    public void Dispose()
    {
        Weights.Dispose();
        if (gradients.IsValueCreated)
        {
            gradients.Value.Dispose();
        }

        foreach (var buffer in optimizerState)
        {
            buffer.Dispose();
        }

        optimizerState.Clear();
    }

    private static ArrayView<float> Slice(DeviceBuffer<float> buffer, ParameterSpec spec) => buffer.Slice(spec.Offset, spec.Count);

    private static float[] Read(DeviceBuffer<float> buffer, ParameterSpec spec)
    {
        var values = new float[spec.Count];
        buffer.CopyTo(values, spec.Offset);
        return values;
    }

    private static void Write(DeviceBuffer<float> buffer, ParameterSpec spec, ReadOnlySpan<float> values)
    {
        if (values.Length != spec.Count)
        {
            throw new ShapeException($"tensor '{spec.Name}' has shape {spec.ShapeText} ({spec.Count} values) but {values.Length} values were given");
        }

        buffer.CopyFrom(values, spec.Offset);
    }
}
