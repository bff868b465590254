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
/// <item><see cref="LogSoftmax"/>: <c>output[n, v] = x[n, v] - max - log Σ e^(x - max)</c>; logits [N, V] read, output [N, V] assigned.</item>
/// <item><see cref="Argmax"/>: <c>ids[n] = argmax_v x[n, v]</c>, the first index on ties; logits [N, V], ids [N] assigned.</item>
/// </list>
/// </summary>
public static class SoftmaxKernels
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

    /// <summary>Log-probabilities of each row.</summary>
    public static void LogSoftmax(
        Index1D thread,
        ArrayView<float> logits,
        ArrayView<float> output,
        int rows,
        int vocab,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, rows);
        for (int n = LaunchChunk.Begin(thread, chunk); n < end; n++)
        {
            long row = (long)n * vocab;
            float max = logits[row + RowArgmax(logits, row, vocab)];
            float shift = max + XMath.Log(SumExp(logits, row, vocab, max));
            for (int v = 0; v < vocab; v++)
            {
                output[row + v] = logits[row + v] - shift;
            }
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
