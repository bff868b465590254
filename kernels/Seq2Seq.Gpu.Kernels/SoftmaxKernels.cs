using ILGPU;
using ILGPU.Algorithms;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Row-wise softmax family over logits [N, V], one work item per row (each row read two or three times, stable
/// max-subtracted exponentials).
/// <list type="bullet">
/// <item><see cref="CrossEntropyForwardBackward"/>: for a row with target t ≥ 0, <c>loss = log Σ e^(x - max) + max - x_t</c>,
/// <c>correct = (argmax x == t)</c>, and the logits are overwritten by the gradient <c>(softmax(x) - onehot(t))·scale</c>
/// (scale = 1 / number of counted rows, so the gradient is that of the mean loss). A row with t &lt; 0 is padding:
/// loss 0, correct 0, gradient 0. Views: logits [N, V] (in: logits; out: gradient), targets [N], rowLoss [N] and
/// rowCorrect [N] (assigned).</item>
/// <item><see cref="CrossEntropyWarpPerRow"/>: the same results, one warp per row (explicitly grouped; the warp size
/// is read at run time): lanes stride over the row, and the maximum (with its first index) and the sum of
/// exponentials are reduced across the warp with butterfly shuffles. The GPU variant: rows of thousands of logits
/// are read in coalesced strides instead of by one thread. Groups hold whole warps; grid = ceil(N / warps a group).</item>
/// <item><see cref="Argmax"/>: <c>ids[n] = argmax_v x[n, v]</c>, the first index on ties; logits [N, V], ids [N] assigned.</item>
/// </list>
/// </summary>
internal static class SoftmaxKernels
{
    /// <summary>Loss, correctness and the loss gradient of each row, in one kernel.</summary>
    public static void CrossEntropyForwardBackward(
        Index1D thread,
        ArrayView<float> logits,
        ArrayView<int> targets,
        ArrayView<float> rowLoss,
        ArrayView<float> rowCorrect,
        int rows,
        int vocab,
        float scale,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, rows);
        for (int n = LaunchChunk.Begin(thread, chunk); n < end; n++)
        {
            long row = (long)n * vocab;
            int target = targets[n];
            if (target < 0)
            {
                for (int v = 0; v < vocab; v++)
                {
                    logits[row + v] = 0f;
                }

                rowLoss[n] = 0f;
                rowCorrect[n] = 0f;
                continue;
            }

            int best = RowArgmax(logits, row, vocab);
            float max = logits[row + best];
            float sum = SumExp(logits, row, vocab, max);
            rowLoss[n] = XMath.Log(sum) + max - logits[row + target];
            rowCorrect[n] = best == target ? 1f : 0f;

            float inverse = 1f / sum;
            for (int v = 0; v < vocab; v++)
            {
                float p = XMath.Exp(logits[row + v] - max) * inverse;
                logits[row + v] = (v == target ? p - 1f : p) * scale;
            }
        }
    }

    /// <summary>Loss, correctness and the loss gradient of each row, one warp a row.</summary>
    public static void CrossEntropyWarpPerRow(
        ArrayView<float> logits,
        ArrayView<int> targets,
        ArrayView<float> rowLoss,
        ArrayView<float> rowCorrect,
        int rows,
        int vocab,
        float scale)
    {
        int warpSize = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int n = (Grid.IdxX * (Group.DimX / warpSize)) + Warp.WarpIdx;

        // The row is the same for every lane of a warp, so whole warps leave together and shuffles stay convergent.
        if (n >= rows)
        {
            return;
        }

        long row = (long)n * vocab;
        int target = targets[n];
        if (target < 0)
        {
            for (int v = lane; v < vocab; v += warpSize)
            {
                logits[row + v] = 0f;
            }

            if (lane == 0)
            {
                rowLoss[n] = 0f;
                rowCorrect[n] = 0f;
            }

            return;
        }

        float max = float.NegativeInfinity;
        int best = int.MaxValue;
        for (int v = lane; v < vocab; v += warpSize)
        {
            float x = logits[row + v];
            if (x > max)
            {
                max = x;
                best = v;
            }
        }

        for (int offset = warpSize / 2; offset > 0; offset /= 2)
        {
            float otherMax = Warp.ShuffleXor(max, offset);
            int otherBest = Warp.ShuffleXor(best, offset);

            // Larger value wins; on a tie the smaller index, as the sequential scan keeps the first maximum.
            if (otherMax > max || (otherMax == max && otherBest < best))
            {
                max = otherMax;
                best = otherBest;
            }
        }

        float sum = 0f;
        for (int v = lane; v < vocab; v += warpSize)
        {
            sum += XMath.Exp(logits[row + v] - max);
        }

        for (int offset = warpSize / 2; offset > 0; offset /= 2)
        {
            sum += Warp.ShuffleXor(sum, offset);
        }

        // Every lane reads the target's logit before any lane overwrites the row with the gradient.
        float targetLogit = logits[row + target];
        Warp.Barrier();
        if (lane == 0)
        {
            rowLoss[n] = XMath.Log(sum) + max - targetLogit;
            rowCorrect[n] = best == target ? 1f : 0f;
        }

        float inverse = 1f / sum;
        for (int v = lane; v < vocab; v += warpSize)
        {
            float p = XMath.Exp(logits[row + v] - max) * inverse;
            logits[row + v] = (v == target ? p - 1f : p) * scale;
        }
    }

    /// <summary>Index of the largest logit of each row (the first on ties).</summary>
    public static void Argmax(
        Index1D thread,
        ArrayView<float> logits,
        ArrayView<int> ids,
        int rows,
        int vocab,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, rows);
        for (int n = LaunchChunk.Begin(thread, chunk); n < end; n++)
        {
            ids[n] = RowArgmax(logits, (long)n * vocab, vocab);
        }
    }

    /// <summary>Index (within the row) of the row's largest value, the first on ties.</summary>
    private static int RowArgmax(ArrayView<float> logits, long row, int vocab)
    {
        float max = logits[row];
        int best = 0;
        for (int v = 1; v < vocab; v++)
        {
            float x = logits[row + v];
            if (x > max)
            {
                max = x;
                best = v;
            }
        }

        return best;
    }

    /// <summary>Σ_v e^(x_v - max) over one row.</summary>
    private static float SumExp(ArrayView<float> logits, long row, int vocab, float max)
    {
        float sum = 0f;
        for (int v = 0; v < vocab; v++)
        {
            sum += XMath.Exp(logits[row + v] - max);
        }

        return sum;
    }
}
