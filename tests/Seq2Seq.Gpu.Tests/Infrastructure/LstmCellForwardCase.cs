using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Random inputs of one forward LSTM cell step (pre-activations up to ±12, so both saturated ends of σ and tanh and both
/// branches of a tanh approximation are exercised; every other row masked when asked) and the check of a device's
/// results against the reference cell.
/// </summary>
public sealed class LstmCellForwardCase
{
    private LstmCellForwardCase(int batch, int hidden, bool masked, ulong seed)
    {
        Batch = batch;
        Hidden = hidden;
        Gates = Tensors.Random(batch * 4 * hidden, seed, 12.0);
        CPrev = Tensors.Random(batch * hidden, seed + 1, 2.0);
        HPrev = Tensors.Random(batch * hidden, seed + 2);
        Mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : null;
    }

    public int Batch { get; }

    public int Hidden { get; }

    /// <summary>The pre-activations z [B, 4H] (the step overwrites them with the activations).</summary>
    public float[] Gates { get; }

    public float[] CPrev { get; }

    public float[] HPrev { get; }

    public int[]? Mask { get; }

    /// <summary>Draws a case from a seed.</summary>
    public static LstmCellForwardCase Create(int batch, int hidden, bool masked, ulong seed) => new(batch, hidden, masked, seed);

    /// <summary>Checks the device's activations, c' and h' against the reference forward.</summary>
    public void AssertForward(float[] activations, float[] cNext, float[] hNext, double atol, double rtol)
    {
        var expected = ReferenceOps.LstmCellForward(Gates.ToDouble(), CPrev.ToDouble(), HPrev.ToDouble(), Mask, Batch, Hidden);
        Tensors.AssertClose(activations, expected.Activations, "activations", atol, rtol);
        Tensors.AssertClose(cNext, expected.C, "c", atol, rtol);
        Tensors.AssertClose(hNext, expected.H, "h", atol, rtol);
    }
}
