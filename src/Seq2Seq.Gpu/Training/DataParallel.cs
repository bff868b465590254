using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Distributed;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Training;

/// <summary>
/// What the trainer does differently when it is one rank of several (<see cref="IGradientCommunicator.Size"/> &gt; 1):
/// which pairs of a global batch are this rank's, the sums of a step's counts and losses, and the checks that every
/// rank trains the same run from the same weights. With one rank every function is the identity and calls nothing.
/// </summary>
internal static class DataParallel
{
    /// <summary>
    /// This rank's pairs of a global batch: a contiguous slice, the first <c>count mod size</c> ranks one pair more; a
    /// batch with fewer pairs than ranks leaves some ranks none (they still join every collective of the step).
    /// </summary>
    public static ArraySegment<int> Shard(int[] batch, int rank, int size)
    {
        int share = batch.Length / size;
        int extra = batch.Length % size;
        int start = (rank * share) + Math.Min(rank, extra);
        return new ArraySegment<int>(batch, start, share + (rank < extra ? 1 : 0));
    }

    /// <summary>The counted target positions of the whole global batch: what every rank divides its loss by.</summary>
    public static int GlobalCount(IGradientCommunicator communicator, int localCount)
    {
        if (communicator.Size == 1)
        {
            return localCount;
        }

        Span<double> count = [localCount];
        communicator.AllReduceSum(count);
        return checked((int)count[0]);
    }

    /// <summary>A step's loss, correct count and tokens summed over the ranks; <paramref name="globalCount"/> is the batch's.</summary>
    public static (BatchResult Result, double Tokens) Sum(IGradientCommunicator communicator, BatchResult local, double tokens, int globalCount)
    {
        if (communicator.Size == 1)
        {
            return (local, tokens);
        }

        Span<double> sums = [local.LossSum, local.Correct, tokens];
        communicator.AllReduceSum(sums);
        return (new BatchResult(sums[0], sums[1], globalCount), sums[2]);
    }

    /// <summary>An evaluation's sums over the ranks (each rank evaluated its share of the batches).</summary>
    public static BatchResult Sum(IGradientCommunicator communicator, BatchResult local)
    {
        if (communicator.Size == 1)
        {
            return local;
        }

        Span<double> sums = [local.LossSum, local.Correct, local.Counted];
        communicator.AllReduceSum(sums);
        return new BatchResult(sums[0], sums[1], checked((int)sums[2]));
    }

    /// <summary>
    /// The dropout seed of a rank: the run's seed for rank 0 (so a job of one rank draws the masks a single process
    /// draws), mixed with the rank for the others, whose rows are other pairs and must not reuse rank 0's masks.
    /// </summary>
    public static ulong DropoutSeed(ulong seed, int rank) => seed ^ ((ulong)rank * 0x9E3779B97F4A7C15UL);

    /// <summary>
    /// Before the first step: checks that every rank runs the same job (rank 0's fingerprint against its own: the
    /// model's size, the optimizer's state, the data and its first epoch's batches), then gives every rank rank 0's
    /// weights and optimizer state, so the ranks start equal by construction, not by luck of the seed.
    /// </summary>
    /// <exception cref="DistributedException">This rank's run differs from rank 0's.</exception>
    public static void Start(IGradientCommunicator communicator, WeightStore store, int optimizerSlots, Func<IReadOnlyList<(string What, long Value)>> fingerprintOf)
    {
        if (communicator.Size == 1)
        {
            return;
        }

        var fingerprint = fingerprintOf();
        long[] root = fingerprint.Select(f => f.Value).ToArray();
        communicator.Broadcast(root);
        for (int i = 0; i < root.Length; i++)
        {
            if (root[i] != fingerprint[i].Value)
            {
                throw new DistributedException(
                    $"rank {communicator.Rank} differs from rank 0 in {fingerprint[i].What} ({fingerprint[i].Value:N0} against {root[i]:N0}): every rank must read the same corpus with the same options (and --resume the same checkpoint)");
            }
        }

        store.EnsureOptimizerSlots(optimizerSlots);
        communicator.Broadcast(store.Weights);
        for (int slot = 0; slot < optimizerSlots; slot++)
        {
            communicator.Broadcast(store.OptimizerState(slot));
        }

        store.MarkUpdated();
    }

    /// <summary>
    /// After an epoch: checks that this rank's weights are still rank 0's (sum and sum of squares, bit for bit). Equal
    /// summed gradients and the same optimizer give equal weights; a difference means the ranks compute differently
    /// (other device kinds or kernels), and is an error rather than a model that silently depends on the rank.
    /// </summary>
    /// <exception cref="DistributedException">The weights differ from rank 0's.</exception>
    public static void CheckInLockstep(IGradientCommunicator communicator, WeightStore store, int epoch)
    {
        if (communicator.Size == 1)
        {
            return;
        }

        var ops = store.Device.Ops;
        long[] mine = [BitConverter.SingleToInt32Bits(ops.Sum(store.Weights.View)), BitConverter.SingleToInt32Bits(ops.Sum(store.Weights.View, squares: true))];
        long[] root = [.. mine];
        communicator.Broadcast(root);
        if (!root.AsSpan().SequenceEqual(mine))
        {
            throw new DistributedException(
                $"after epoch {epoch}, rank {communicator.Rank}'s weights differ from rank 0's: the ranks must run on the same kind of device with the same kernel options");
        }
    }

    /// <summary>A hash of an epoch's batches (their pairs, in order), for <see cref="Start"/>'s fingerprint.</summary>
    public static long Hash(IReadOnlyList<int[]> batches)
    {
        ulong hash = 14695981039346656037UL;
        foreach (int[] batch in batches)
        {
            foreach (int index in batch)
            {
                hash = (hash ^ (uint)index) * 1099511628211UL;
            }

            hash = (hash ^ 0xFFFFFFFFUL) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
