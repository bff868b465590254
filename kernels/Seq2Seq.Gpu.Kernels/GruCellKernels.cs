using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The GRU cell of one time step, forward and backward, with the padding mask inside the cell. The convention is
/// Keras' <c>reset_after=True</c> (also cuDNN's and PyTorch's): the reset gate scales h·U_n after the product, so the
/// input part gx = x·W + b_input and the recurrent part gh = h·U + b_recurrent stay separate. Gate order r, z, n
/// (<see cref="GruGates"/>).
/// <para>
/// Forward (<see cref="Forward"/>), one work item per (b, j), b &lt; B, j &lt; H:
/// <c>r = σ(gx_r + gh_r); z = σ(gx_z + gh_z); n = tanh(gx_n + r·gh_n); h' = z·h + (1 - z)·n</c>. A row with
/// mask[b] = 0 keeps its state, <c>h' = h</c> (its activations are still written). Views: inputGates [B, 3H] (in:
/// gx; out: the activations r, z, n, kept for the backward pass; assigns in place), recurrentGates [B, 3H] (gh, read;
/// the backward pass needs gh_n again), hPrev [B, H] (read), hNext [B, H] (assigned), mask [B] (read when hasMask is 1).
/// </para>
/// <para>
/// Backward (<see cref="Backward"/>), one work item per (b, j): with dh = dhCarry + dhExternal,
/// <c>dn = dh·(1 - z); dz = dh·(h - n); dn_pre = dn·(1 - n²); dr_pre = dn_pre·gh_n·r(1 - r); dz_pre = dz·z(1 - z)</c>,
/// dInputGates = [dr_pre, dz_pre, dn_pre] (the gradient of gx), dRecurrentGates = [dr_pre, dz_pre, dn_pre·r] (of gh),
/// and the part of dh_prev that does not go through U is <c>dh·z</c>. Views: activations [B, 3H] (r, z, n from the
/// forward pass), recurrentGates [B, 3H] (gh of the forward pass), hPrev [B, H], dhExternal [B, H] (gradient from
/// above; read when hasExternal is 1), dhCarry [B, H] (in: gradient into h' from step t+1; out: the bypass part of
/// dh_prev, dh·z, or dh for a masked row; the caller then adds dRecurrentGates·Uᵀ), dInputGates, dRecurrentGates
/// [B, 3H] (assigned; zero for masked rows).
/// </para>
/// </summary>
internal static class GruCellKernels
{
    /// <summary>Applies the gate non-linearities and the state update of one step.</summary>
    public static void Forward(
        Index1D thread,
        ArrayView<float> inputGates,
        ArrayView<float> recurrentGates,
        ArrayView<float> hPrev,
        ArrayView<float> hNext,
        ArrayView<int> mask,
        int batch,
        int hidden,
        int hasMask,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            ForwardUnit(inputGates, recurrentGates, hPrev, hNext, b, e - (b * hidden), hidden, hasMask != 0 && mask[b] == 0);
        }
    }

    /// <summary>Back-propagates one step: the gradients of both gate pre-activation parts and the bypass part of dh_prev.</summary>
    public static void Backward(
        Index1D thread,
        ArrayView<float> activations,
        ArrayView<float> recurrentGates,
        ArrayView<float> hPrev,
        ArrayView<float> dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dInputGates,
        ArrayView<float> dRecurrentGates,
        ArrayView<int> mask,
        int batch,
        int hidden,
        int hasExternal,
        int hasMask,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            float dh = hasExternal != 0 ? dhCarry[e] + dhExternal[e] : dhCarry[e];
            BackwardUnit(activations, recurrentGates, hPrev, dhCarry, dInputGates, dRecurrentGates, b, e - (b * hidden), hidden, hasMask != 0 && mask[b] == 0, dh);
        }
    }

    /// <summary>The forward cell of unit j of row b: the activations replace gx in <paramref name="inputGates"/>.</summary>
    internal static void ForwardUnit(
        ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, int b, int j, int hidden, bool keepState)
    {
        long reset = ((long)b * GruGates.Count * hidden) + j;
        long update = reset + hidden;
        long candidate = update + hidden;
        long e = ((long)b * hidden) + j;
        float r = Activations.Sigmoid(inputGates[reset] + recurrentGates[reset]);
        float z = Activations.Sigmoid(inputGates[update] + recurrentGates[update]);
        float n = Activations.Tanh(inputGates[candidate] + (r * recurrentGates[candidate]));
        float h = hPrev[e];
        inputGates[reset] = r;
        inputGates[update] = z;
        inputGates[candidate] = n;
        hNext[e] = keepState ? h : (z * h) + ((1f - z) * n);
    }

    /// <summary>The backward cell of unit j of row b for the total gradient <paramref name="dh"/> into h'.</summary>
    internal static void BackwardUnit(
        ArrayView<float> activations,
        ArrayView<float> recurrentGates,
        ArrayView<float> hPrev,
        ArrayView<float> dhCarry,
        ArrayView<float> dInputGates,
        ArrayView<float> dRecurrentGates,
        int b,
        int j,
        int hidden,
        bool masked,
        float dh)
    {
        long reset = ((long)b * GruGates.Count * hidden) + j;
        long update = reset + hidden;
        long candidate = update + hidden;
        long e = ((long)b * hidden) + j;
        if (masked)
        {
            // The state passed through unchanged: so does its gradient, and no gate saw it.
            dInputGates[reset] = 0f;
            dInputGates[update] = 0f;
            dInputGates[candidate] = 0f;
            dRecurrentGates[reset] = 0f;
            dRecurrentGates[update] = 0f;
            dRecurrentGates[candidate] = 0f;
            dhCarry[e] = dh;
            return;
        }

        float r = activations[reset];
        float z = activations[update];
        float n = activations[candidate];
        float ghn = recurrentGates[candidate];
        float h = hPrev[e];
        float dnPre = dh * (1f - z) * (1f - (n * n));
        float drPre = dnPre * ghn * r * (1f - r);
        float dzPre = dh * (h - n) * z * (1f - z);
        dInputGates[reset] = drPre;
        dInputGates[update] = dzPre;
        dInputGates[candidate] = dnPre;
        dRecurrentGates[reset] = drPre;
        dRecurrentGates[update] = dzPre;
        dRecurrentGates[candidate] = dnPre * r;
        dhCarry[e] = dh * z;
    }
}
