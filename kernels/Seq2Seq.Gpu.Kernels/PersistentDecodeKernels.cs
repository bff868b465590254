using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Greedy decoding of a whole batch in ONE launch: a persistent kernel whose groups loop over the steps themselves,
/// separated by a software grid barrier (<see cref="GridBarrier"/>), so the host neither launches nor waits per token.
/// Explicitly grouped: a 1D grid of G groups that must all be resident at once (one per multiprocessor), groups of
/// U units by R rows as in <see cref="GateTile"/>. The weights are read in place from the model's parameter buffer.
/// <para>
/// Per step, with states ping-ponged between slot s mod 2 (read) and the other slot (written):
/// for each layer l, gate tiles (U units × R rows, spread over the groups) compute
/// <c>z = (x·W_l + b_l) + h_l·U_l</c> and the cell, x being the embedding row of the current id (or, one-hot, the
/// kernel row itself) for l = 0 and the new h of layer l-1 otherwise; grid barrier; logits tiles (4U columns × R rows)
/// compute <c>h_top·W_out + b_out</c>; grid barrier; each group takes rows b ≡ its index (mod G), reduces the argmax
/// across its threads (first index on ties) and records the step as <see cref="DecodeKernels.RecordStep"/> does;
/// grid barrier; every thread reads the finished flags and all leave together once every row has finished.
/// </para>
/// <para>
/// Views: parameters (the weight store: embedding, biases, and the one-hot layer 0's input kernel), matrices (the
/// input, recurrent and output kernels: the weight store itself in FP32, or the decoder's bfloat16 copy, see
/// <see cref="IMatrixElements"/>), layerTable [L, 3] (offsets of each layer's input kernel, into parameters for a
/// one-hot layer 0 and into matrices otherwise, of its recurrent kernel, into matrices, and of its bias, into
/// parameters), hidden and cells [2, L, B, H] (slot 0: the initial state), logits [B, V] (scratch; the last step's on
/// exit), current [B] (in: first inputs), finished [B] (in/out), outputs [Steps, B] (rows of the steps run assigned),
/// sync [<see cref="SyncLength"/>] (zero on entry: the grid barrier's; on exit sync[<see cref="StepsRunIndex"/>] = steps run).
/// </para>
/// </summary>
internal static class PersistentDecodeKernels
{
    /// <summary>Largest group: the argmax reduction's shared arrays are sized for it (the engine launches at most 256 threads a group).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Where the kernel leaves the number of steps it ran, after the grid barrier's ints.</summary>
    public const int StepsRunIndex = GridBarrier.Length;

    /// <summary>Ints of the sync view.</summary>
    public const int SyncLength = StepsRunIndex + 1;

    /// <summary>Shared memory one group uses, in bytes: the tiles and the argmax reduction.</summary>
    public const int SharedBytes = LstmStepKernels.SharedBytes + (MaxGroupSize * (sizeof(float) + sizeof(int)));

    /// <summary>Greedy-decodes every row for up to <see cref="GreedyDecodeShape.Steps"/> steps.</summary>
    public static void GreedyDecode<TMatrices>(
        ArrayView<float> parameters,
        TMatrices matrices,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        ArrayView<int> sync,
        GreedyDecodeShape shape)
        where TMatrices : struct, IMatrixElements
    {
        var leftTile = SharedMemory.Allocate<float>(GateTile.LeftTileSize);
        var rightTile = SharedMemory.Allocate<float>(GateTile.RightTileSize);
        var bestValues = SharedMemory.Allocate<float>(MaxGroupSize);
        var bestIndices = SharedMemory.Allocate<int>(MaxGroupSize);

        int groups = Grid.DimX;
        int batch = shape.Batch;
        int units = shape.Hidden;
        int vocab = shape.Vocab;
        int gateWidth = LstmGates.Count * units;
        int width = Group.DimX;
        int height = Group.DimY;
        long state = (long)batch * units;
        long slot = shape.Layers * state;
        int unitTiles = (units + width - 1) / width;
        int rowTiles = (batch + height - 1) / height;
        int vocabTiles = (vocab + (LstmGates.Count * width) - 1) / (LstmGates.Count * width);

        for (int step = 0; step < shape.Steps; step++)
        {
            long read = (step & 1) * slot;
            long write = slot - read;
            for (int l = 0; l < shape.Layers; l++)
            {
                long inputKernel = layerTable[3 * l];
                long recurrentKernel = layerTable[(3 * l) + 1];
                long bias = layerTable[(3 * l) + 2];
                var hPrev = hidden.SubView(read + (l * state), state);
                var cPrev = cells.SubView(read + (l * state), state);
                var hNext = hidden.SubView(write + (l * state), state);
                var cNext = cells.SubView(write + (l * state), state);
                for (int tile = Grid.IdxX; tile < unitTiles * rowTiles; tile += groups)
                {
                    int unit0 = (tile % unitTiles) * width;
                    int row0 = (tile / unitTiles) * height;
                    FourSums input = default;
                    if (l > 0)
                    {
                        input = GateTile.Accumulate(
                            input, hidden.SubView(write + ((l - 1) * state), state), current, 0, batch, units,
                            matrices, inputKernel, gateWidth, units, units, row0, unit0, leftTile, rightTile);
                    }
                    else if (shape.OneHot == 0)
                    {
                        input = GateTile.Accumulate(
                            input, parameters.SubView(shape.EmbeddingOffset, (long)vocab * shape.EmbeddingSize), current, 1, batch, shape.EmbeddingSize,
                            matrices, inputKernel, gateWidth, units, units, row0, unit0, leftTile, rightTile);
                    }

                    var recurrent = GateTile.Accumulate(
                        default, hPrev, current, 0, batch, units, matrices, recurrentKernel, gateWidth, units, units, row0, unit0, leftTile, rightTile);

                    int b = row0 + Group.IdxY;
                    int j = unit0 + Group.IdxX;
                    if (b < batch && j < units)
                    {
                        if (l == 0 && shape.OneHot != 0)
                        {
                            // One-hot input: x·W is row current[b] of W.
                            input = LstmCellMath.Load(parameters.SubView(inputKernel + ((long)current[b] * gateWidth), gateWidth), 0, j, units);
                        }

                        var z = LstmCellMath.Add(LstmCellMath.Add(input, LstmCellMath.Load(parameters.SubView(bias, gateWidth), 0, j, units)), recurrent);
                        var activated = LstmCellMath.Activate(z, shape.Activation);
                        long e = ((long)b * units) + j;
                        float c = LstmCellMath.NextCell(activated, cPrev[e]);
                        cNext[e] = c;
                        hNext[e] = LstmCellMath.NextHidden(activated, c);
                    }
                }

                GridBarrier.Wait(sync, groups);
            }

            WriteLogits(parameters, matrices, hidden.SubView(write + ((shape.Layers - 1) * state), state), logits, current, shape, vocabTiles, rowTiles, leftTile, rightTile);
            GridBarrier.Wait(sync, groups);

            for (int b = Grid.IdxX; b < batch; b += groups)
            {
                int chosen = RowArgmax(logits.SubView((long)b * vocab, vocab), vocab, bestValues, bestIndices);
                if (Group.IsFirstThread)
                {
                    int token = finished[b] != 0 ? shape.EndId : chosen;
                    outputs[((long)step * batch) + b] = token;
                    current[b] = token;
                    if (token == shape.EndId)
                    {
                        finished[b] = 1;
                    }
                }
            }

            GridBarrier.Wait(sync, groups);
            if (Grid.IdxX == 0 && Group.IsFirstThread)
            {
                sync[StepsRunIndex] = step + 1;
            }

            // Every thread reads the same flags (nothing writes them before the next step's argmax), so all groups leave together.
            bool done = true;
            for (int b = 0; b < batch && done; b++)
            {
                done = finished[b] != 0;
            }

            if (done)
            {
                break;
            }
        }
    }

    /// <summary>logits [B, V] = top·W_out + b_out, in tiles of R rows by 4U columns spread over the groups.</summary>
    private static void WriteLogits<TMatrices>(
        ArrayView<float> parameters, TMatrices matrices, ArrayView<float> top, ArrayView<float> logits, ArrayView<int> current, GreedyDecodeShape shape, int vocabTiles, int rowTiles, ArrayView<float> leftTile, ArrayView<float> rightTile)
        where TMatrices : struct, IMatrixElements
    {
        int width = Group.DimX;
        int vocab = shape.Vocab;
        for (int tile = Grid.IdxX; tile < vocabTiles * rowTiles; tile += Grid.DimX)
        {
            int column0 = (tile % vocabTiles) * LstmGates.Count * width;
            int row0 = (tile / vocabTiles) * Group.DimY;
            var sums = GateTile.Accumulate(default, top, current, 0, shape.Batch, shape.Hidden, matrices, shape.OutputKernelOffset, vocab, width, vocab, row0, column0, leftTile, rightTile);
            int b = row0 + Group.IdxY;
            if (b < shape.Batch)
            {
                long row = (long)b * vocab;
                int column = column0 + Group.IdxX;
                StoreLogit(parameters, logits, shape, row, column, sums.S0);
                StoreLogit(parameters, logits, shape, row, column + width, sums.S1);
                StoreLogit(parameters, logits, shape, row, column + (2 * width), sums.S2);
                StoreLogit(parameters, logits, shape, row, column + (3 * width), sums.S3);
            }
        }
    }

    private static void StoreLogit(ArrayView<float> parameters, ArrayView<float> logits, GreedyDecodeShape shape, long row, int column, float sum)
    {
        if (column < shape.Vocab)
        {
            logits[row + column] = sum + parameters[shape.OutputBiasOffset + column];
        }
    }

    /// <summary>
    /// Argmax of one row by the whole group: each thread scans a stride of the row, then a shared-memory tree
    /// reduction keeps the larger value, the smaller index on ties. All threads must call it; the result is for all.
    /// </summary>
    private static int RowArgmax(ArrayView<float> row, int vocab, ArrayView<float> bestValues, ArrayView<int> bestIndices)
    {
        int size = Group.DimX * Group.DimY;
        int linear = (Group.IdxY * Group.DimX) + Group.IdxX;

        // As the one-thread argmax: thread 0 starts from element 0 (a NaN there wins, NaNs elsewhere never do); the
        // others from "nothing seen" (index vocab).
        float best = linear == 0 ? row[0] : float.NegativeInfinity;
        int at = linear == 0 ? 0 : vocab;
        for (int v = linear == 0 ? size : linear; v < vocab; v += size)
        {
            float x = row[v];
            if (x > best)
            {
                best = x;
                at = v;
            }
        }

        bestValues[linear] = best;
        bestIndices[linear] = at;
        Group.Barrier();

        int span = 1;
        while (span < size)
        {
            span <<= 1;
        }

        for (int half = span >> 1; half > 0; half >>= 1)
        {
            if (linear < half && linear + half < size)
            {
                float other = bestValues[linear + half];
                int otherAt = bestIndices[linear + half];
                int mine = bestIndices[linear];
                if (otherAt < vocab && (mine == vocab || other > bestValues[linear] || (other == bestValues[linear] && otherAt < mine)))
                {
                    bestValues[linear] = other;
                    bestIndices[linear] = otherAt;
                }
            }

            Group.Barrier();
        }

        int result = bestIndices[0];
        Group.Barrier();
        return result;
    }
}
