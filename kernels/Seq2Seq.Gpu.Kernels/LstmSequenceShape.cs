using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>Sizes and flags of a whole layer's recurrence (<see cref="PersistentSequenceKernels"/>); flags are ints (0 or 1) because kernel parameters must be blittable.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct LstmSequenceShape
{
    /// <summary>Creates a shape.</summary>
    public LstmSequenceShape(int steps, int batch, int hidden, bool hasMask, bool hasExternal = false, int activation = GateActivations.Sigmoid)
    {
        Steps = steps;
        Batch = batch;
        Hidden = hidden;
        HasMask = hasMask ? 1 : 0;
        HasExternal = hasExternal ? 1 : 0;
        Activation = activation;
    }

    /// <summary>Time steps T.</summary>
    public int Steps { get; }

    /// <summary>Rows B.</summary>
    public int Batch { get; }

    /// <summary>Hidden units H.</summary>
    public int Hidden { get; }

    /// <summary>1 when the mask [T, B] is read.</summary>
    public int HasMask { get; }

    /// <summary>Backward: 1 when gradients from above [T, B, H] are added.</summary>
    public int HasExternal { get; }

    /// <summary>The recurrent activation of the i, f and o gates (<see cref="GateActivations.Sigmoid"/> or a hard sigmoid).</summary>
    public int Activation { get; }
}
