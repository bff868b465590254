using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Random inputs of one backward LSTM cell step (activations and c' from the reference forward of random
/// pre-activations up to ±3, carries, a gradient from above, every other row masked when asked) and the check of a
/// device's results against the reference cell backward.
/// </summary>
public sealed class LstmCellBackwardCase
{
    private LstmCellBackwardCase(int batch, int hidden, bool masked, ulong seed)
    {
        Batch = batch;
        Hidden = hidden;
        var z = Tensors.Random(batch * 4 * hidden, seed, 3.0);
        CPrev = Tensors.Random(batch * hidden, seed + 1);
        var hPrev = Tensors.Random(batch * hidden, seed + 2);
        Mask = masked ? Enumerable.Range(0, batch).Select(b => (b + 1) % 2).ToArray() : null;
        var forward = ReferenceOps.LstmCellForward(z.ToDouble(), CPrev.ToDouble(), hPrev.ToDouble(), Mask, batch, hidden);
        Activations = Array.ConvertAll(forward.Activations, v => (float)v);
        CNext = Array.ConvertAll(forward.C, v => (float)v);
        DhExternal = Tensors.Random(batch * hidden, seed + 3);
        DhCarry = Tensors.Random(batch * hidden, seed + 4);
        DcCarry = Tensors.Random(batch * hidden, seed + 5);
        StaleGates = Tensors.Random(batch * 4 * hidden, seed + 6);
    }

    public int Batch { get; }

    public int Hidden { get; }

    public float[] CPrev { get; }

    public int[]? Mask { get; }

    public float[] Activations { get; }

    public float[] CNext { get; }

    public float[] DhExternal { get; }

    /// <summary>dh carried in from step t+1.</summary>
    public float[] DhCarry { get; }

    /// <summary>dc carried in from step t+1.</summary>
    public float[] DcCarry { get; }

    /// <summary>What the gate-gradient buffer holds before the step (every element must be overwritten).</summary>
    public float[] StaleGates { get; }

    /// <summary>Draws a case from a seed.</summary>
    public static LstmCellBackwardCase Create(int batch, int hidden, bool masked, ulong seed) => new(batch, hidden, masked, seed);

    /// <summary>
    /// Checks the device's gate gradients, dc_prev and dh bypass against the reference for dh = carry
    /// (+ <paramref name="recurrentDh"/>) (+ the gradient from above when <paramref name="withExternal"/>).
    /// </summary>
    public void AssertBackward(float[] dGates, float[] dcCarry, float[] dhCarry, double[]? recurrentDh, bool withExternal, double atol, double rtol)
    {
        var dh = DhCarry.ToDouble();
        for (int e = 0; e < dh.Length; e++)
        {
            dh[e] += (recurrentDh?[e] ?? 0.0) + (withExternal ? DhExternal[e] : 0.0);
        }

        var expected = ReferenceOps.LstmCellBackward(Activations.ToDouble(), CPrev.ToDouble(), CNext.ToDouble(), dh, DcCarry.ToDouble(), Mask, Batch, Hidden);
        Tensors.AssertClose(dGates, expected.DGates, "dGates", atol, rtol);
        Tensors.AssertClose(dcCarry, expected.DcPrev, "dc_prev", atol, rtol);
        Tensors.AssertClose(dhCarry, expected.DhBypass, "dh bypass", atol, rtol);
    }
}
