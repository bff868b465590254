using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>The recurrent paths of <see cref="IlgpuBackend"/>: cell kernels, fused steps, persistent recurrences and the persistent greedy decoder, with their launch geometry and residency check.</summary>
internal sealed partial class IlgpuBackend
{
    public void LstmForward(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmForward.Value(LaunchChunk.Threads(count, chunk), gates, cPrev, hPrev, cNext, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk, (int)activation);
    }

    public void LstmBackward(
        ArrayView<float> activations, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dcCarry, ArrayView<float> dGates, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk, (int)activation);
    }

    public bool TryLstmForwardStep(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        if (Recurrence == RecurrentKernels.PerOperation)
        {
            return false;
        }

        LstmFusedForward(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        return true;
    }

    /// <summary>The fused forward step, whatever the policy (tests run it on any accelerator).</summary>
    public void LstmFusedForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid) =>
        LstmFusedForward(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, new LstmStepShape(batch, hidden, mask is not null, activation: (int)activation));

    private void LstmFusedForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, LstmStepShape shape)
    {
        var launch = StepLaunch(shape.Batch, shape.Hidden);
        if (recurrent.DeviceBFloat16.Length > 0)
        {
            kernels.BFloat16.LstmFusedForward.Value(launch, gates, new BFloat16Elements(recurrent.DeviceBFloat16), cPrev, hPrev, cNext, hNext, mask ?? noInts.View, shape);
        }
        else
        {
            kernels.Fp32.LstmFusedForward.Value(launch, gates, new Fp32Elements(recurrent.View), cPrev, hPrev, cNext, hNext, mask ?? noInts.View, shape);
        }
    }

    public bool TryLstmBackwardStep(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float>? dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden, RecurrentActivation activation)
    {
        if (Recurrence == RecurrentKernels.PerOperation)
        {
            return false;
        }

        LstmFusedBackward(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation);
        return true;
    }

    /// <summary>The fused backward step, whatever the policy (tests run it on any accelerator).</summary>
    public void LstmFusedBackward(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float>? dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid) =>
        kernels.LstmFusedBackward.Value(
            StepLaunch(batch, hidden), activations, recurrentTransposed.View, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGatesNext ?? noFloats.View, dGates,
            mask ?? noInts.View, new LstmStepShape(batch, hidden, mask is not null, dhExternal is not null, dGatesNext is not null, (int)activation));

    public bool TryLstmForwardSequence(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation) =>
        Recurrence == RecurrentKernels.Persistent && LstmPersistentForward(gates, recurrent, cells, hidden, mask, steps, batch, units, activation);

    /// <summary>The persistent forward recurrence whatever the policy; false (nothing launched) where its groups cannot all be resident.</summary>
    public bool LstmPersistentForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        var launch = PersistentLaunch(batch, units, 0);
        if (!Resident(kernels.LstmForwardSequence.Value, launch))
        {
            return false;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmForwardSequence.Value(launch, gates, recurrent.View, cells, hidden, mask ?? noInts.View, gridSync.View, new LstmSequenceShape(steps, batch, units, mask is not null, activation: (int)activation));
        return true;
    }

    public bool TryLstmBackwardSequence(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cells,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int steps,
        int batch,
        int hidden, RecurrentActivation activation) =>
        Recurrence == RecurrentKernels.Persistent && LstmPersistentBackward(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation);

    /// <summary>The persistent backward recurrence whatever the policy; false (nothing launched) where its groups cannot all be resident.</summary>
    public bool LstmPersistentBackward(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cells,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int steps,
        int batch,
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        var launch = PersistentLaunch(batch, hidden, 0);
        if (!Resident(kernels.LstmBackwardSequence.Value, launch))
        {
            return false;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmBackwardSequence.Value(
            launch, activations, recurrentTransposed.View, cells, dExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View, gridSync.View,
            new LstmSequenceShape(steps, batch, hidden, mask is not null, dExternal is not null, (int)activation));
        return true;
    }

    public void GruForward(ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruForward.Value(LaunchChunk.Threads(count, chunk), inputGates, recurrentGates, hPrev, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk);
    }

    public void GruBackward(
        ArrayView<float> activations, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dInputGates, ArrayView<float> dRecurrentGates, ArrayView<int>? mask, int batch, int hidden)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, recurrentGates, hPrev, dhExternal ?? noFloats.View, dhCarry, dInputGates, dRecurrentGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk);
    }

    public int? TryGreedyDecode(
        ArrayView<float> parameters,
        ArrayView<ushort> matricesBFloat16,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        GreedyDecodeShape shape)
    {
        if (!OffersPersistentDecode)
        {
            return null;
        }

        var launch = PersistentLaunch(shape.Batch, shape.Hidden, DecodeWork(device.Info, shape));
        bool bfloat16 = matricesBFloat16.Length > 0;
        if (!(bfloat16 ? Resident(kernels.BFloat16.GreedyDecode.Value, launch) : Resident(kernels.Fp32.GreedyDecode.Value, launch)))
        {
            return null;
        }

        var sync = gridSync.View;
        sync.MemSetToZero();
        if (bfloat16)
        {
            kernels.BFloat16.GreedyDecode.Value(launch, parameters, new BFloat16Elements(matricesBFloat16), layerTable, hidden, cells, logits, current, finished, outputs, sync, shape);
        }
        else
        {
            kernels.Fp32.GreedyDecode.Value(launch, parameters, new Fp32Elements(parameters), layerTable, hidden, cells, logits, current, finished, outputs, sync, shape);
        }

        int run = 0;
        device.Synchronize();
        sync.SubView(PersistentDecodeKernels.StepsRunIndex, 1).CopyToCPU(ref run, 1);
        return run;
    }

    private KernelConfig StepLaunch(int batch, int hidden)
    {
        var (units, rows) = StepGroup(batch, hidden);
        return new KernelConfig(new Index2D((hidden + units - 1) / units, (batch + rows - 1) / rows), new Index2D(units, rows));
    }

    /// <summary>
    /// Launch of a persistent kernel: groups of <see cref="StepGroup"/>, a 1D grid of one group a multiprocessor, but
    /// no more groups than there are gate tiles or <paramref name="otherWork"/> items to share out. Every group is then
    /// resident, as the grid barrier needs (checked against the driver by <see cref="Resident"/>).
    /// </summary>
    private KernelConfig PersistentLaunch(int batch, int hidden, long otherWork)
    {
        var (groups, units, rows) = PersistentGridFor(device.Info, batch, hidden, otherWork);
        return new KernelConfig(new Index2D(groups, 1), new Index2D(units, rows));
    }

    /// <summary>The work items besides gate tiles that the persistent greedy decoder shares out: logits tiles, and one argmax a row.</summary>
    internal static long DecodeWork(DeviceInfo info, GreedyDecodeShape shape)
    {
        var (units, rows) = StepGroupFor(info, shape.Batch, shape.Hidden);
        long rowTiles = (shape.Batch + rows - 1) / rows;
        return Math.Max(rowTiles * ((shape.Vocab + (4L * units) - 1) / (4L * units)), shape.Batch);
    }

    /// <summary>
    /// Whether every group of a persistent launch can be resident at once. The CPU accelerator runs one group a
    /// simulated multiprocessor at a time, and the grid never has more; on a GPU the driver's occupancy estimate for
    /// the compiled kernel must allow a group a multiprocessor (it would not if the kernel needed more registers or
    /// shared memory than one multiprocessor has). Where it does not, the callers take the one-launch-a-step path
    /// instead of a grid barrier that would wait forever.
    /// </summary>
    private bool Resident(Delegate kernel, KernelConfig launch)
    {
        if (device.IsCpu)
        {
            return true;
        }

        // Asked once per kernel and group size: finding the kernel object behind a launcher delegate takes reflection,
        // and the answer cannot change.
        lock (residency)
        {
            var key = (kernel, launch.GroupDim.Size);
            if (!residency.TryGetValue(key, out bool resident))
            {
                try
                {
                    resident = device.Accelerator.EstimateMaxActiveGroupsPerMultiprocessor(kernel.GetKernel(), launch.GroupDim.Size) >= 1;
                }
                catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
                {
                    resident = false;
                }

                residency[key] = resident;
            }

            return resident;
        }
    }

    /// <summary>
    /// Most threads in a group of the step kernels: 256 threads fit one multiprocessor even at the 255 registers a
    /// thread ptxas may give them (64K registers an SM), so a launch is never refused for its registers and a
    /// persistent grid of one group a multiprocessor is always resident.
    /// </summary>
    internal const int MaxStepGroupThreads = 256;

    /// <summary>
    /// Group shape (units U, rows R) of the fused step and persistent kernels, from the device's properties: U is the
    /// largest power of two up to 32 that fits a group and is not more than twice H; R the largest up to 32 that fits
    /// U·R into a group of at most <see cref="MaxStepGroupThreads"/> threads and is not more than twice B, then halved
    /// while twice the grid would still fit one group a multiprocessor (so small batches spread over the device, large
    /// ones keep U's slice reused by many rows).
    /// </summary>
    public (int Units, int Rows) StepGroup(int batch, int hidden) => StepGroupFor(device.Info, batch, hidden);

    /// <summary><see cref="StepGroup"/> for a device described by <paramref name="info"/> (the residency proof computes it for devices it does not have).</summary>
    internal static (int Units, int Rows) StepGroupFor(DeviceInfo info, int batch, int hidden)
    {
        int maxThreads = Math.Min(info.MaxThreadsPerGroup, MaxStepGroupThreads);
        int units = LstmStepKernels.MaxGroupSide;
        while (units > 1 && (units > maxThreads || units / 2 >= hidden))
        {
            units /= 2;
        }

        int rows = LstmStepKernels.MaxGroupSide;
        while (rows > 1 && (units * rows > maxThreads || rows / 2 >= batch))
        {
            rows /= 2;
        }

        long unitGroups = (hidden + units - 1) / units;
        while (rows > 1 && 2 * unitGroups * ((batch + rows - 1) / rows) <= info.Multiprocessors)
        {
            rows /= 2;
        }

        return (units, rows);
    }

    /// <summary>The grid (groups) and group shape of a persistent launch on a device described by <paramref name="info"/>: never more groups than multiprocessors.</summary>
    internal static (int Groups, int Units, int Rows) PersistentGridFor(DeviceInfo info, int batch, int hidden, long otherWork)
    {
        var (units, rows) = StepGroupFor(info, batch, hidden);
        long tiles = (long)((hidden + units - 1) / units) * ((batch + rows - 1) / rows);
        int groups = (int)Math.Max(1, Math.Min(info.Multiprocessors, Math.Max(tiles, otherWork)));
        return (groups, units, rows);
    }
}
