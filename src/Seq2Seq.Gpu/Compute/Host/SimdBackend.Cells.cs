using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The recurrent cells' loops (LSTM forward and backward with the sigmoid or a Keras hard sigmoid, GRU forward and
/// backward): per batch row, H in vectors, a tail through the same vector code on a zero-padded copy.
/// </summary>
internal sealed unsafe partial class SimdBackend<TS, TV>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void LstmForward(float* gates, float* cPrev, float* hPrev, float* cNext, float* hNext, int* mask, int b0, int b1, int hidden, float slope)
    {
        int w = TS.Width;
        float* buffer = stackalloc float[8 * 16];
        for (int b = b0; b < b1; b++)
        {
            float* g = gates + ((nint)b * LstmGates.Count * hidden);
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                ForwardVector(g + j, hidden, cPrev + s + j, hPrev + s + j, cNext + s + j, hNext + s + j, keep, slope);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                new Span<float>(buffer, 8 * w).Clear();
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(g + ((nint)gate * hidden) + j, buffer + (gate * w), rest);
                }

                Copy(cPrev + s + j, buffer + (4 * w), rest);
                Copy(hPrev + s + j, buffer + (5 * w), rest);
                ForwardVector(buffer, w, buffer + (4 * w), buffer + (5 * w), buffer + (6 * w), buffer + (7 * w), keep, slope);
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(buffer + (gate * w), g + ((nint)gate * hidden) + j, rest);
                }

                Copy(buffer + (6 * w), cNext + s + j, rest);
                Copy(buffer + (7 * w), hNext + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void LstmBackward(
        float* activations, float* cPrev, float* cNext, float* dhExternal, float* dhCarry, float* dcCarry, float* dGates, int* mask, int b0, int b1, int hidden, float slope)
    {
        int w = TS.Width;
        float* buffer = stackalloc float[13 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * LstmGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            float* dhx = dhExternal == null ? null : dhExternal + s;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                BackwardVector(
                    activations + row + j, hidden, cPrev + s + j, cNext + s + j, dhx == null ? null : dhx + j, dhCarry + s + j, dcCarry + s + j, dGates + row + j, keep, slope);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                new Span<float>(buffer, 13 * w).Clear();
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(activations + row + ((nint)gate * hidden) + j, buffer + (gate * w), rest);
                }

                float* tcPrev = buffer + (4 * w);
                float* tcNext = buffer + (5 * w);
                float* tdhx = buffer + (6 * w);
                float* tdhc = buffer + (7 * w);
                float* tdcc = buffer + (8 * w);
                float* tdg = buffer + (9 * w);
                Copy(cPrev + s + j, tcPrev, rest);
                Copy(cNext + s + j, tcNext, rest);
                if (dhx != null)
                {
                    Copy(dhx + j, tdhx, rest);
                }

                Copy(dhCarry + s + j, tdhc, rest);
                Copy(dcCarry + s + j, tdcc, rest);
                BackwardVector(buffer, w, tcPrev, tcNext, dhx == null ? null : tdhx, tdhc, tdcc, tdg, keep, slope);
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(tdg + (gate * w), dGates + row + ((nint)gate * hidden) + j, rest);
                }

                Copy(tdhc, dhCarry + s + j, rest);
                Copy(tdcc, dcCarry + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void GruForward(float* inputGates, float* recurrentGates, float* hPrev, float* hNext, int* mask, int b0, int b1, int hidden)
    {
        int w = TS.Width;

        // The tail's padded copies: gx and gh (three vectors each), h_prev, h_next; a vector is at most 16 floats.
        float* buffer = stackalloc float[8 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * GruGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                GruForwardVector(inputGates + row + j, recurrentGates + row + j, hidden, hPrev + s + j, hNext + s + j, keep);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                new Span<float>(buffer, 8 * w).Clear();
                float* tgx = buffer;
                float* tgh = buffer + (3 * w);
                float* thp = buffer + (6 * w);
                float* thn = buffer + (7 * w);
                CopyGates(inputGates + row + j, hidden, tgx, w, GruGates.Count, rest);
                CopyGates(recurrentGates + row + j, hidden, tgh, w, GruGates.Count, rest);
                Copy(hPrev + s + j, thp, rest);
                GruForwardVector(tgx, tgh, w, thp, thn, keep);
                CopyGates(tgx, w, inputGates + row + j, hidden, GruGates.Count, rest);
                Copy(thn, hNext + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void GruBackward(
        float* activations, float* recurrentGates, float* hPrev, float* dhExternal, float* dhCarry, float* dInputGates, float* dRecurrentGates, int* mask, int b0, int b1, int hidden)
    {
        int w = TS.Width;

        // The tail's padded copies: activations, gh, dInputGates, dRecurrentGates (three vectors each), h_prev, dh
        // external, dh carry.
        float* buffer = stackalloc float[15 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * GruGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            float* dhx = dhExternal == null ? null : dhExternal + s;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                GruBackwardVector(
                    activations + row + j, recurrentGates + row + j, hidden, hPrev + s + j, dhx == null ? null : dhx + j, dhCarry + s + j, dInputGates + row + j, dRecurrentGates + row + j, keep);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                new Span<float>(buffer, 15 * w).Clear();
                float* tact = buffer;
                float* tgh = buffer + (3 * w);
                float* tdgx = buffer + (6 * w);
                float* tdgh = buffer + (9 * w);
                float* thp = buffer + (12 * w);
                float* tdhx = buffer + (13 * w);
                float* tdhc = buffer + (14 * w);
                CopyGates(activations + row + j, hidden, tact, w, GruGates.Count, rest);
                CopyGates(recurrentGates + row + j, hidden, tgh, w, GruGates.Count, rest);
                Copy(hPrev + s + j, thp, rest);
                if (dhx != null)
                {
                    Copy(dhx + j, tdhx, rest);
                }

                Copy(dhCarry + s + j, tdhc, rest);
                GruBackwardVector(tact, tgh, w, thp, dhx == null ? null : tdhx, tdhc, tdgx, tdgh, keep);
                CopyGates(tdgx, w, dInputGates + row + j, hidden, GruGates.Count, rest);
                CopyGates(tdgh, w, dRecurrentGates + row + j, hidden, GruGates.Count, rest);
                Copy(tdhc, dhCarry + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardVector(float* g, nint gateStride, float* cp, float* hp, float* cn, float* hn, bool keep, float slope)
    {
        TV i = Gate(TS.Load(g), slope);
        TV f = Gate(TS.Load(g + gateStride), slope);
        TV cell = VectorMath<TS, TV>.Tanh(TS.Load(g + (2 * gateStride)));
        TV o = Gate(TS.Load(g + (3 * gateStride)), slope);
        TS.Store(g, i);
        TS.Store(g + gateStride, f);
        TS.Store(g + (2 * gateStride), cell);
        TS.Store(g + (3 * gateStride), o);
        if (keep)
        {
            TV cKeep = TS.Load(cp);
            TV hKeep = TS.Load(hp);
            TS.Store(cn, cKeep);
            TS.Store(hn, hKeep);
        }
        else
        {
            TV c = TS.Add(TS.Multiply(f, TS.Load(cp)), TS.Multiply(i, cell));
            TS.Store(cn, c);
            TS.Store(hn, TS.Multiply(o, VectorMath<TS, TV>.Tanh(c)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardVector(float* act, nint gateStride, float* cp, float* cn, float* dhx, float* dhc, float* dcc, float* dg, bool keep, float slope)
    {
        TV dh = TS.Load(dhc);
        if (dhx != null)
        {
            dh = TS.Add(dh, TS.Load(dhx));
        }

        if (keep)
        {
            // The state passed through unchanged: so do its gradients (dc_prev = dc is left as it is).
            TS.Store(dg, TS.Zero);
            TS.Store(dg + gateStride, TS.Zero);
            TS.Store(dg + (2 * gateStride), TS.Zero);
            TS.Store(dg + (3 * gateStride), TS.Zero);
            TS.Store(dhc, dh);
            return;
        }

        TV one = TS.Splat(1f);
        TV i = TS.Load(act);
        TV f = TS.Load(act + gateStride);
        TV g = TS.Load(act + (2 * gateStride));
        TV o = TS.Load(act + (3 * gateStride));
        TV tc = VectorMath<TS, TV>.Tanh(TS.Load(cn));
        TV dc = TS.Add(TS.Load(dcc), TS.Multiply(TS.Multiply(dh, o), TS.Subtract(one, TS.Multiply(tc, tc))));
        if (slope == 0f)
        {
            TS.Store(dg, TS.Multiply(TS.Multiply(TS.Multiply(dc, g), i), TS.Subtract(one, i)));
            TS.Store(dg + gateStride, TS.Multiply(TS.Multiply(TS.Multiply(dc, TS.Load(cp)), f), TS.Subtract(one, f)));
            TS.Store(dg + (3 * gateStride), TS.Multiply(TS.Multiply(TS.Multiply(dh, tc), o), TS.Subtract(one, o)));
        }
        else
        {
            TS.Store(dg, TS.Multiply(TS.Multiply(dc, g), HardDerivative(i, slope)));
            TS.Store(dg + gateStride, TS.Multiply(TS.Multiply(dc, TS.Load(cp)), HardDerivative(f, slope)));
            TS.Store(dg + (3 * gateStride), TS.Multiply(TS.Multiply(dh, tc), HardDerivative(o, slope)));
        }

        TS.Store(dg + (2 * gateStride), TS.Multiply(TS.Multiply(dc, i), TS.Subtract(one, TS.Multiply(g, g))));
        TS.Store(dcc, TS.Multiply(dc, f));
        TS.Store(dhc, TS.Zero);
    }

    /// <summary>The recurrent activation: the sigmoid when <paramref name="slope"/> is 0, else the hard sigmoid clip(slope·x + 0.5, 0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Gate(TV x, float slope) => slope == 0f
        ? VectorMath<TS, TV>.Sigmoid(x)
        : TS.Min(TS.Splat(1f), TS.Max(TS.Zero, TS.MultiplyAdd(x, TS.Splat(slope), TS.Splat(0.5f))));

    /// <summary>A hard sigmoid's derivative from its value y: the slope where 0 &lt; y &lt; 1, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV HardDerivative(TV y, float slope) =>
        TS.Select(TS.LessThan(TS.Zero, y), TS.Select(TS.LessThan(y, TS.Splat(1f)), TS.Splat(slope), TS.Zero), TS.Zero);

    /// <summary>
    /// One vector of GRU units: r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n) replace gx;
    /// h' = z·h + (1 - z)·n, or h for a kept row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruForwardVector(float* gx, float* gh, nint gateStride, float* hp, float* hn, bool keep)
    {
        TV r = VectorMath<TS, TV>.Sigmoid(TS.Add(TS.Load(gx), TS.Load(gh)));
        TV z = VectorMath<TS, TV>.Sigmoid(TS.Add(TS.Load(gx + gateStride), TS.Load(gh + gateStride)));
        TV n = VectorMath<TS, TV>.Tanh(TS.Add(TS.Load(gx + (2 * gateStride)), TS.Multiply(r, TS.Load(gh + (2 * gateStride)))));
        TV h = TS.Load(hp);
        TS.Store(gx, r);
        TS.Store(gx + gateStride, z);
        TS.Store(gx + (2 * gateStride), n);
        TS.Store(hn, keep ? h : TS.Add(TS.Multiply(z, h), TS.Multiply(TS.Subtract(TS.Splat(1f), z), n)));
    }

    /// <summary>One vector of GRU units backward (see <see cref="GruCellKernels.Backward"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruBackwardVector(float* act, float* gh, nint gateStride, float* hp, float* dhx, float* dhc, float* dgx, float* dgh, bool keep)
    {
        TV dh = TS.Load(dhc);
        if (dhx != null)
        {
            dh = TS.Add(dh, TS.Load(dhx));
        }

        if (keep)
        {
            // The state passed through unchanged: so does its gradient, and no gate saw it.
            for (int gate = 0; gate < GruGates.Count; gate++)
            {
                TS.Store(dgx + (gate * gateStride), TS.Zero);
                TS.Store(dgh + (gate * gateStride), TS.Zero);
            }

            TS.Store(dhc, dh);
            return;
        }

        TV one = TS.Splat(1f);
        TV r = TS.Load(act);
        TV z = TS.Load(act + gateStride);
        TV n = TS.Load(act + (2 * gateStride));
        TV dnPre = TS.Multiply(TS.Multiply(dh, TS.Subtract(one, z)), TS.Subtract(one, TS.Multiply(n, n)));
        TV drPre = TS.Multiply(TS.Multiply(TS.Multiply(dnPre, TS.Load(gh + (2 * gateStride))), r), TS.Subtract(one, r));
        TV dzPre = TS.Multiply(TS.Multiply(TS.Multiply(dh, TS.Subtract(TS.Load(hp), n)), z), TS.Subtract(one, z));
        TS.Store(dgx, drPre);
        TS.Store(dgx + gateStride, dzPre);
        TS.Store(dgx + (2 * gateStride), dnPre);
        TS.Store(dgh, drPre);
        TS.Store(dgh + gateStride, dzPre);
        TS.Store(dgh + (2 * gateStride), TS.Multiply(dnPre, r));
        TS.Store(dhc, TS.Multiply(dh, z));
    }
}
