using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>Sizes and flags of one fused recurrent step (<see cref="LstmStepKernels"/>); flags are ints (0 or 1) because kernel parameters must be blittable.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct LstmStepShape
{
    /// <summary>Creates a shape.</summary>
    public LstmStepShape(int batch, int hidden, bool hasMask, bool hasExternal = false, bool hasNext = false, int activation = GateActivations.Sigmoid)
    {
        Batch = batch;
        Hidden = hidden;
        HasMask = hasMask ? 1 : 0;
        HasExternal = hasExternal ? 1 : 0;
        HasNext = hasNext ? 1 : 0;
        Activation = activation;
    }

    /// <summary>Rows B.</summary>
    public int Batch { get; }

    /// <summary>Hidden units H.</summary>
    public int Hidden { get; }

    /// <summary>1 when the mask [B] is read (a row with mask 0 keeps its state, and passes its gradients through).</summary>
    public int HasMask { get; }

    /// <summary>Backward: 1 when a gradient from above (dhExternal) is added.</summary>
    public int HasExternal { get; }

    /// <summary>Backward: 1 when step t+1's gate gradients exist (every step but the last).</summary>
    public int HasNext { get; }

    /// <summary>The recurrent activation of the i, f and o gates (<see cref="GateActivations.Sigmoid"/> or a hard sigmoid).</summary>
    public int Activation { get; }
}
