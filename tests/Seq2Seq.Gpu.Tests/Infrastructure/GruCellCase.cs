using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Random inputs of one GRU cell step, forward and backward, and the checks of a device's results against the
/// reference cell. gx and gh are drawn in ±4 each, so the pre-activations gx + gh and gx_n + r·gh_n reach ±8 and
/// exercise both saturated ends of σ and tanh; every other row is masked when asked (row 0 first, so B = 1 is masked
/// too). The backward activations come from the reference forward of the same draw, rounded to float.
/// </summary>
public sealed class GruCellCase
{
    private GruCellCase(int batch, int hidden, bool masked, ulong seed)
    {
        Batch = batch;
        Hidden = hidden;
        int gates = batch * 3 * hidden;
        InputGates = Tensors.Random(gates, seed, 4.0);
        RecurrentGates = Tensors.Random(gates, seed + 1, 4.0);
        HPrev = Tensors.Random(batch * hidden, seed + 2);
        Mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : null;
        var forward = ReferenceGru.CellForward(InputGates.ToDouble(), RecurrentGates.ToDouble(), HPrev.ToDouble(), Mask, batch, hidden);
        Activations = Array.ConvertAll(forward.Activations, v => (float)v);
        DhExternal = Tensors.Random(batch * hidden, seed + 3);
        DhCarry = Tensors.Random(batch * hidden, seed + 4);
        StaleH = Tensors.Random(batch * hidden, seed + 5, 100.0);
        StaleGates = Tensors.Random(gates, seed + 6, 100.0);
    }

    public int Batch { get; }

    public int Hidden { get; }

    /// <summary>gx = x·W + b_input [B, 3H].</summary>
    public float[] InputGates { get; }

    /// <summary>gh = h_prev·U + b_recurrent [B, 3H].</summary>
    public float[] RecurrentGates { get; }

    public float[] HPrev { get; }

    public int[]? Mask { get; }

    /// <summary>r, z, n of the reference forward [B, 3H], as the backward step reads them.</summary>
    public float[] Activations { get; }

    public float[] DhExternal { get; }

    /// <summary>dh into h' carried in from step t+1.</summary>
    public float[] DhCarry { get; }

    /// <summary>What h_next holds before the forward step (every element must be overwritten).</summary>
    public float[] StaleH { get; }

    /// <summary>What the gate-gradient buffers hold before the backward step (every element must be overwritten).</summary>
    public float[] StaleGates { get; }

    /// <summary>Draws a case from a seed.</summary>
    public static GruCellCase Create(int batch, int hidden, bool masked, ulong seed) => new(batch, hidden, masked, seed);

    /// <summary>Checks the device's activations and h' against the reference forward.</summary>
    public void AssertForward(float[] activations, float[] hNext, double atol, double rtol)
    {
        var expected = ReferenceGru.CellForward(InputGates.ToDouble(), RecurrentGates.ToDouble(), HPrev.ToDouble(), Mask, Batch, Hidden);
        Tensors.AssertClose(activations, expected.Activations, "activations", atol, rtol);
        Tensors.AssertClose(hNext, expected.H, "h", atol, rtol);
    }

    /// <summary>Checks the device's gate gradients and dh bypass against the reference for dh = carry (+ the gradient from above).</summary>
    public void AssertBackward(float[] dInputGates, float[] dRecurrentGates, float[] dhCarry, bool withExternal, double atol, double rtol)
    {
        var dh = DhCarry.ToDouble();
        if (withExternal)
        {
            for (int e = 0; e < dh.Length; e++)
            {
                dh[e] += DhExternal[e];
            }
        }

        var expected = ReferenceGru.CellBackward(Activations.ToDouble(), RecurrentGates.ToDouble(), HPrev.ToDouble(), dh, Mask, Batch, Hidden);
        Tensors.AssertClose(dInputGates, expected.DInputGates, "dInputGates", atol, rtol);
        Tensors.AssertClose(dRecurrentGates, expected.DRecurrentGates, "dRecurrentGates", atol, rtol);
        Tensors.AssertClose(dhCarry, expected.DhBypass, "dh bypass", atol, rtol);
    }
}
