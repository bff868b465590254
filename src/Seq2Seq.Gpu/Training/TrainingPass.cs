using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Training;

/// <summary>
/// The teacher-forced pass over a batch on the device: encoder, decoder from the encoder's final (h, c) of every
/// layer, with attention the attentional states of all decoder steps at once (<see cref="LuongAttention"/>), output
/// projection of all decoder steps in one product, fused softmax cross-entropy, and (for training)
/// back-propagation into the weight store's gradient buffer. Only scalars come back to the host. Its activation
/// buffers grow to the largest batch seen and are reused.
/// </summary>
internal sealed class TrainingPass : IDisposable
{
    private readonly WeightStore store;
    private readonly Seq2SeqConfig config;
    private readonly Seq2SeqArchitecture architecture;
    private readonly EncoderStack encoder;
    private readonly RecurrentStack decoder;
    private readonly LuongAttention? attention;
    private Workspace? workspace;

    public TrainingPass(WeightStore store, Seq2SeqConfig config)
    {
        this.store = store;
        this.config = config;
        architecture = Seq2SeqArchitecture.For(config);
        encoder = new EncoderStack(store, architecture.Encoder);
        decoder = new RecurrentStack(store, architecture.Decoder);
        attention = config.HasAttention ? new LuongAttention(store, config) : null;
    }

    private IRecurrentCell Cell => encoder.Cell;

    private ComputeDevice Device => store.Device;

    /// <summary>
    /// The buffers of the workspace for batches of up to <paramref name="maxBatch"/> rows and the given steps: the
    /// shapes <see cref="Workspace"/> allocates, listed for memory estimates (a test holds the two together).
    /// </summary>
    public static IEnumerable<MemoryItem> Plan(Seq2SeqConfig config, int maxBatch, int maxSource, int maxTarget)
    {
        ArgumentNullException.ThrowIfNull(config);
        var architecture = Seq2SeqArchitecture.For(config);
        var cell = RecurrentCells.For(config.Cell);
        int h = config.HiddenSize;
        long maxRows = (long)Math.Max(maxSource, maxTarget) * maxBatch;
        long[] sourceRows = [maxSource, maxBatch];
        long[] targetRows = [maxTarget, maxBatch];
        var items = new List<MemoryItem>();
        items.AddRange(EncoderBuffers.Plan(architecture.Encoder, maxSource, maxBatch));
        items.AddRange(RecurrentStackBuffers.Plan(architecture.Decoder, h, maxTarget, maxBatch));
        items.AddRange(BackwardScratch.Plan(maxRows, cell.GateCount * h, Math.Max(h, config.EmbeddingSize), cell.KeepsRecurrentGates));
        items.Add(MemoryItem.Of("source ids and mask (2)", "[2 x Ts x B]", [2, .. sourceRows], sizeof(int)));
        items.Add(MemoryItem.Of("decoder inputs, targets, target mask (3)", "[3 x T x B]", [3, .. targetRows], sizeof(int)));
        items.Add(MemoryItem.Of("logits", "[T x B x V]", [.. targetRows, config.TargetVocabSize]));
        items.Add(MemoryItem.Of("row losses and correctness (2)", "[2 x T x B]", [2, .. targetRows]));
        items.Add(MemoryItem.Of("decoder output gradient", "[T x B x H]", [.. targetRows, h]));
        if (config.HasAttention)
        {
            items.AddRange(AttentionBuffers.Plan(config, maxTarget, maxSource, maxBatch, training: true));
            items.Add(MemoryItem.Of("attentional state gradient", "[T x B x H]", [.. targetRows, h]));
        }

        int carries = cell.HasCellState ? 2 : 1;
        items.Add(MemoryItem.Of(cell.HasCellState ? "dh, dc carries (2 x L)" : "dh carries (L)", cell.HasCellState ? "[2L x B x H]" : "[L x B x H]", [carries * config.Layers, maxBatch, h]));
        return items;
    }

    /// <summary>
    /// Forward and loss; with <paramref name="backward"/>, also accumulates every gradient (the caller zeroes them first).
    /// With <paramref name="dropout"/> (training steps only; evaluation passes none), the embedding outputs and the
    /// outputs of every layer below the top one are dropped as they enter the next layer, on both sides, and the
    /// gradients go back through the same masks. The loss's gradient is divided by <paramref name="lossDivisor"/>, by
    /// default the batch's counted positions (a rank of a data-parallel job passes the whole global batch's).
    /// </summary>
    public BatchResult Run(Batch batch, bool backward, DropoutDraw? dropout = null, int? lossDivisor = null)
    {
        var ws = Prepare(batch);
        var (encoderDropout, decoderDropout) = SideDropouts(batch, ws, dropout);
        Forward(batch, ws, encoderDropout, decoderDropout);
        int rows = batch.TargetSteps * batch.BatchSize;
        int counted = batch.CountedTargets;
        var logits = ws.Logits.Slice(0, (long)rows * config.TargetVocabSize);
        var rowLoss = ws.RowLoss.Slice(0, rows);
        var rowCorrect = ws.RowCorrect.Slice(0, rows);
        Device.Ops.CrossEntropy(logits, ws.Targets.Slice(0, rows), rowLoss, rowCorrect, rows, config.TargetVocabSize, 1f / Math.Max(lossDivisor ?? counted, 1));
        if (backward)
        {
            Backward(batch, ws, logits, encoderDropout, decoderDropout);
        }

        double lossSum = Device.Ops.Sum(rowLoss);
        double correct = Device.Ops.Sum(rowCorrect);
        return new BatchResult(lossSum, correct, counted);
    }

    /// <summary>The teacher-forced decoder logits [Tt, B, V] of a batch (for tests and diagnostics).</summary>
    public float[] TeacherForcedLogits(Batch batch)
    {
        var ws = Prepare(batch);
        Forward(batch, ws, null, null);
        var logits = new float[(long)batch.TargetSteps * batch.BatchSize * config.TargetVocabSize];
        ws.Logits.CopyTo(logits);
        return logits;
    }

    public void Dispose() => workspace?.Dispose();

    private static ArrayView<int>? MaskOrNull(Batch batch, DeviceBuffer<int> mask, int count) =>
        batch.Scheme == VocabularyScheme.KerasCompatible ? null : mask.Slice(0, count);

    /// <summary>
    /// The two sides' dropouts of a step (none for p = 0). Their scratch for a layer's dropped inputs [T·B, H] is the
    /// backward pass's input-gradient scratch: unused during the forward pass, and free between the layers of the
    /// backward pass when the dropped inputs are drawn again (see <see cref="RecurrentStack.Backward"/>).
    /// </summary>
    private (StackDropout? Encoder, StackDropout? Decoder) SideDropouts(Batch batch, Workspace ws, DropoutDraw? draw)
    {
        if (draw is not { Rate: > 0 } d)
        {
            return (null, null);
        }

        int h = config.HiddenSize;
        return (
            new StackDropout(d.Rate, d.Seed, d.Step, side: 0, ws.Scratch.Inputs(batch.SourceSteps * batch.BatchSize, h)),
            new StackDropout(d.Rate, d.Seed, d.Step, side: 1, ws.Scratch.Inputs(batch.TargetSteps * batch.BatchSize, h)));
    }

    private Workspace Prepare(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.BatchSize < 1 || batch.SourceSteps < 1 || batch.TargetSteps < 1)
        {
            throw new ShapeException($"batch of {batch.BatchSize} rows with {batch.SourceSteps} source and {batch.TargetSteps} target steps: all must be at least 1");
        }

        if (workspace is null || !workspace.Fits(batch))
        {
            int maxBatch = Math.Max(batch.BatchSize, workspace?.MaxBatch ?? 0);
            int maxSource = Math.Max(batch.SourceSteps, workspace?.MaxSourceSteps ?? 0);
            int maxTarget = Math.Max(batch.TargetSteps, workspace?.MaxTargetSteps ?? 0);
            workspace?.Dispose();
            workspace = null;
            workspace = new Workspace(Device, architecture, maxBatch, maxSource, maxTarget);
        }

        var ws = workspace;
        ValidateIds(batch.SourceIds, config.SourceVocabSize, "source");
        ValidateIds(batch.DecoderInputIds, config.TargetVocabSize, "decoder input");
        ValidateIds(batch.DecoderTargetIds, config.TargetVocabSize, "target", allowIgnored: true);
        ws.SourceIds.CopyFrom(batch.SourceIds);
        ws.SourceMask.CopyFrom(batch.SourceMask);
        ws.DecoderInputs.CopyFrom(batch.DecoderInputIds);
        ws.Targets.CopyFrom(batch.DecoderTargetIds);
        ws.TargetMask.CopyFrom(batch.TargetMask);
        return ws;
    }

    private static void ValidateIds(int[] ids, int vocab, string what, bool allowIgnored = false)
    {
        foreach (int id in ids)
        {
            if (id >= vocab || (id < 0 && !(allowIgnored && id == Batch.IgnoredTarget)))
            {
                throw new ShapeException($"{what} id {id} is outside the model's vocabulary of {vocab} tokens");
            }
        }
    }

    private void Forward(Batch batch, Workspace ws, StackDropout? encoderDropout, StackDropout? decoderDropout)
    {
        int b = batch.BatchSize;
        int ts = batch.SourceSteps;
        int tt = batch.TargetSteps;
        encoder.Forward(ws.Encoder, ws.SourceIds.Slice(0, ts * b), MaskOrNull(batch, ws.SourceMask, ts * b), batch.SourceIds, batch.SourceMask, ts, b, encoderDropout);
        for (int l = 0; l < config.Layers; l++)
        {
            var (hidden, cells) = encoder.FinalState(ws.Encoder, l, ts, b);
            hidden.CopyTo(ws.Decoder.HAt(l, 0, b));
            if (Cell.HasCellState)
            {
                cells.CopyTo(ws.Decoder.CAt(l, 0, b));
            }
        }

        decoder.Forward(ws.Decoder, ws.DecoderInputs.Slice(0, tt * b), MaskOrNull(batch, ws.TargetMask, tt * b), tt, b, decoderDropout);
        int rows = tt * b;
        var outputInputs = ws.Decoder.HRange(config.Layers - 1, 1, tt, b);
        if (attention is not null)
        {
            var memory = encoder.TopOutputs(ws.Encoder, ts, b);
            var prepared = attention.Prepare(ws.Attention!, memory, ts * b);
            outputInputs = attention.Forward(ws.Attention!, outputInputs, prepared, MaskOrNull(batch, ws.SourceMask, ts * b), tt, ts, b);
        }

        Device.Ops.MatMul(
            outputInputs,
            store.Weight(Seq2SeqArchitecture.OutputKernel),
            store.Weight(Seq2SeqArchitecture.OutputBias),
            ws.Logits.Slice(0, (long)rows * config.TargetVocabSize),
            new MatMulShape(rows, config.TargetVocabSize, config.HiddenSize, hasBias: true));
    }

    private void Backward(Batch batch, Workspace ws, ArrayView<float> dLogits, StackDropout? encoderDropout, StackDropout? decoderDropout)
    {
        int b = batch.BatchSize;
        int ts = batch.SourceSteps;
        int tt = batch.TargetSteps;
        int rows = tt * b;
        int h = config.HiddenSize;
        int v = config.TargetVocabSize;
        var ops = Device.Ops;
        var top = ws.Decoder.HRange(config.Layers - 1, 1, tt, b);
        var dTop = ws.DTop.Slice(0, (long)rows * h);

        // The output layer read the top decoder states, or with attention the attentional states h̃.
        var outputInputs = attention is null ? top : ws.Attention!.View(AttentionBuffers.Names.Attentional, (long)rows * h);
        var dOutputInputs = attention is null ? dTop : ws.DAttentional!.Slice(0, (long)rows * h);
        ops.MatMul(outputInputs, dLogits, null, store.Gradient(Seq2SeqArchitecture.OutputKernel), new MatMulShape(h, v, rows, transposeA: true, accumulate: true));
        ops.ColumnSum(dLogits, store.Gradient(Seq2SeqArchitecture.OutputBias), rows, v, accumulate: true);
        ops.MatMul(dLogits, store.Weight(Seq2SeqArchitecture.OutputKernel), null, dOutputInputs, new MatMulShape(rows, h, v, transposeB: true));
        ArrayView<float>? dMemory = null;
        if (attention is not null)
        {
            var memory = encoder.TopOutputs(ws.Encoder, ts, b);
            dMemory = attention.Backward(ws.Attention!, top, attention.Prepared(ws.Attention!, memory, ts * b), dOutputInputs, dTop, tt, ts, b);
        }

        var dh = new ArrayView<float>[config.Layers];
        var dc = new ArrayView<float>[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            dh[l] = ws.CarryH[l].Slice(0, (long)b * h);
            dh[l].MemSetToZero();
            if (Cell.HasCellState)
            {
                dc[l] = ws.CarryC[l].Slice(0, (long)b * h);
                dc[l].MemSetToZero();
            }
        }

        decoder.Backward(ws.Decoder, ws.DecoderInputs.Slice(0, rows), MaskOrNull(batch, ws.TargetMask, rows), tt, b, dTop, dh, dc, ws.Scratch, decoderDropout);

        // The decoder's initial state is the encoder's final state: its gradient carries straight on; with attention the
        // encoder's outputs get the attention's gradient too.
        encoder.Backward(ws.Encoder, ws.SourceIds.Slice(0, ts * b), MaskOrNull(batch, ws.SourceMask, ts * b), ts, b, dh, dc, ws.Scratch, encoderDropout, dMemory);
    }

    private sealed class Workspace : IDisposable
    {
        private readonly List<IDisposable> owned = [];

        public Workspace(ComputeDevice device, Seq2SeqArchitecture architecture, int maxBatch, int maxSource, int maxTarget)
        {
            var config = architecture.Config;
            var cell = RecurrentCells.For(config.Cell);
            MaxBatch = maxBatch;
            MaxSourceSteps = maxSource;
            MaxTargetSteps = maxTarget;
            try
            {
                int h = config.HiddenSize;
                long maxRows = (long)Math.Max(maxSource, maxTarget) * maxBatch;
                long targetRows = (long)maxTarget * maxBatch;
                Encoder = Own(new EncoderBuffers(device, architecture.Encoder, maxSource, maxBatch));
                Decoder = Own(new RecurrentStackBuffers(device, architecture.Decoder, h, maxTarget, maxBatch));
                Scratch = Own(new BackwardScratch(device, maxRows, cell.GateCount * h, Math.Max(h, config.EmbeddingSize), cell.KeepsRecurrentGates));
                SourceIds = Own(device.Allocate<int>((long)maxSource * maxBatch, "source ids"));
                SourceMask = Own(device.Allocate<int>((long)maxSource * maxBatch, "source mask"));
                DecoderInputs = Own(device.Allocate<int>(targetRows, "decoder inputs"));
                Targets = Own(device.Allocate<int>(targetRows, "targets"));
                TargetMask = Own(device.Allocate<int>(targetRows, "target mask"));
                Logits = Own(device.Allocate<float>(targetRows * config.TargetVocabSize, "logits"));
                RowLoss = Own(device.Allocate<float>(targetRows, "row losses"));
                RowCorrect = Own(device.Allocate<float>(targetRows, "row correctness"));
                DTop = Own(device.Allocate<float>(targetRows * h, "decoder output gradient"));
                CarryH = Enumerable.Range(0, config.Layers).Select(l => Own(device.Allocate<float>((long)maxBatch * h, $"dh carry {l}"))).ToArray();
                CarryC = cell.HasCellState ? Enumerable.Range(0, config.Layers).Select(l => Own(device.Allocate<float>((long)maxBatch * h, $"dc carry {l}"))).ToArray() : [];
                if (config.HasAttention)
                {
                    Attention = Own(new AttentionBuffers(device, config, maxTarget, maxSource, maxBatch, training: true));
                    DAttentional = Own(device.Allocate<float>(targetRows * h, "attentional state gradient"));
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int MaxBatch { get; }

        public int MaxSourceSteps { get; }

        public int MaxTargetSteps { get; }

        public EncoderBuffers Encoder { get; } = null!;

        public RecurrentStackBuffers Decoder { get; } = null!;

        public BackwardScratch Scratch { get; } = null!;

        public DeviceBuffer<int> SourceIds { get; } = null!;

        public DeviceBuffer<int> SourceMask { get; } = null!;

        public DeviceBuffer<int> DecoderInputs { get; } = null!;

        public DeviceBuffer<int> Targets { get; } = null!;

        public DeviceBuffer<int> TargetMask { get; } = null!;

        public DeviceBuffer<float> Logits { get; } = null!;

        public DeviceBuffer<float> RowLoss { get; } = null!;

        public DeviceBuffer<float> RowCorrect { get; } = null!;

        public DeviceBuffer<float> DTop { get; } = null!;

        public DeviceBuffer<float>[] CarryH { get; } = [];

        /// <summary>The attention's activations and gradients (null without attention).</summary>
        public AttentionBuffers? Attention { get; }

        /// <summary>The gradient into the attentional states [T, B, H] (null without attention).</summary>
        public DeviceBuffer<float>? DAttentional { get; }

        public DeviceBuffer<float>[] CarryC { get; } = [];

        public bool Fits(Batch batch) =>
            batch.BatchSize <= MaxBatch && batch.SourceSteps <= MaxSourceSteps && batch.TargetSteps <= MaxTargetSteps;

        public void Dispose()
        {
            foreach (var item in owned)
            {
                item.Dispose();
            }

            owned.Clear();
        }

        private T Own<T>(T item)
            where T : IDisposable
        {
            owned.Add(item);
            return item;
        }
    }
}
