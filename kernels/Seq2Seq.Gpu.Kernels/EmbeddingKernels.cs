using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Embedding lookup and its gradient.
/// <para>
/// Forward (<see cref="GatherRows"/>): <c>output[n, :] = table[ids[n], :] (+ bias[:])</c>, one work item per output
/// element. With one-hot inputs the table is an LSTM input kernel [V, 4H] and the bias the LSTM bias [4H], so the
/// gather IS the input projection <c>x·W + b</c> and no matrix product is needed.
/// Views: ids [N], table [V, D], bias [D] (ignored unless <c>hasBias</c> is 1), output [N, D]; assigns (=).
/// </para>
/// <para>
/// Backward (<see cref="ScatterAddRows"/>): <c>gradTable[ids[n], :] += gradOutput[n, :]</c> for every n. One work
/// item per column d; each thread walks all N rows in order, so repeated ids are summed without atomics and the
/// result is deterministic. Views: ids [N], gradOutput [N, D], gradTable [V, D]; accumulates (+=).
/// </para>
/// </summary>
internal static class EmbeddingKernels
{
    /// <summary>Gathers rows of <paramref name="table"/> by token id, optionally adding a bias row.</summary>
    public static void GatherRows(
        Index1D thread,
        ArrayView<int> ids,
        ArrayView<float> table,
        ArrayView<float> bias,
        ArrayView<float> output,
        int rows,
        int width,
        int hasBias,
        int chunk)
    {
        int count = rows * width;
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int n = e / width;
            int d = e - (n * width);
            float value = table[((long)ids[n] * width) + d];
            if (hasBias != 0)
            {
                value += bias[d];
            }

            output[e] = value;
        }
    }

    /// <summary>Adds each row of <paramref name="gradOutput"/> into the row of <paramref name="gradTable"/> named by its id.</summary>
    public static void ScatterAddRows(
        Index1D thread,
        ArrayView<int> ids,
        ArrayView<float> gradOutput,
        ArrayView<float> gradTable,
        int rows,
        int width,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, width);
        for (int d = LaunchChunk.Begin(thread, chunk); d < end; d++)
        {
            for (int n = 0; n < rows; n++)
            {
                gradTable[((long)ids[n] * width) + d] += gradOutput[((long)n * width) + d];
            }
        }
    }
}
