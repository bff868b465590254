using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// Device buffers and steps of step-by-step decoding for up to <see cref="MaxRows"/> decoder rows: the encoder's
/// activations, per layer the decoder state (h, c) [rows, H] and its next-step twin, the step's gates and logits,
/// and the greedy bookkeeping (current ids, argmax, finished flags, outputs). With attention, also each row's copy of
/// its source's encoder outputs (the memory [Ts, rows, H]), its keys, values and source mask, the step's attention
/// buffers, and for greedy decoding the weights of every step [steps, rows, Ts], kept on the device until the end. Reads
/// the weights from the model's weight store at every launch, except the decoder's matrices that
/// <see cref="DecodeWeights"/> prepares (packed, or with <c>--precision bf16</c> bfloat16 copies made once per loaded
/// model).
/// </summary>
internal sealed class DecoderSession : IDisposable
{
    private readonly Seq2SeqModel model;
    private readonly Seq2SeqArchitecture architecture;
    private readonly EncoderStack encoder;
    private readonly RecurrentStack decoder;
    private readonly LuongAttention? attention;
    private readonly List<IDisposable> owned = [];
    private readonly DeviceBuffer<float>[] h;
    private readonly DeviceBuffer<float>?[] c;
    private readonly DeviceBuffer<float>[] nextH;
    private readonly DeviceBuffer<float>?[] nextC;
    private readonly DecoderState state;
    private DeviceBuffer<int>? outputs;
    private readonly DecodeWeights weights;
    private readonly bool ownsWeights;
    private DeviceBuffer<float>? persistentHidden;
    private DeviceBuffer<float>? persistentCells;
    private DeviceBuffer<long>? layerTable;
    private long[] layerTableOffsets = [];
    private DeviceBuffer<float>? attentionHistory;
    private AttentionMemory attentionMemory;
    private bool sourceMasked;
    private int encodedBatch;
    private int[] memorySources = [];
    private int[] memoryMask = [];

    /// <summary>A session whose products read <paramref name="weights"/> (the caller's, kept after disposal), or FP32 operands of its own.</summary>
    public DecoderSession(Seq2SeqModel model, int maxRows, int maxSourceSteps, DecodeWeights? weights = null)
    {
        this.model = model;
        ownsWeights = weights is null;
        this.weights = weights ?? new DecodeWeights(model, WeightPrecision.Fp32);
        MaxRows = maxRows;
        MaxSourceSteps = maxSourceSteps;
        var config = model.Config;
        var device = model.Device;
        architecture = Seq2SeqArchitecture.For(config);
        encoder = new EncoderStack(model.Weights, architecture.Encoder);
        decoder = new RecurrentStack(model.Weights, architecture.Decoder);
        attention = config.HasAttention ? new LuongAttention(model.Weights, config) : null;
        int layers = config.Layers;
        long rowsState = (long)maxRows * config.HiddenSize;
        bool cells = Cell.HasCellState;
        state = new DecoderState(layers);
        try
        {
            EncoderBuffers = Own(new EncoderBuffers(device, architecture.Encoder, maxSourceSteps, maxRows));
            SourceIds = Own(device.Allocate<int>((long)maxSourceSteps * maxRows, "source ids"));
            SourceMask = Own(device.Allocate<int>((long)maxSourceSteps * maxRows, "source mask"));
            h = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(rowsState, $"decoder h {l}"))).ToArray();
            c = Enumerable.Range(0, layers).Select(l => cells ? Own(device.Allocate<float>(rowsState, $"decoder c {l}")) : null).ToArray();
            nextH = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(rowsState, $"decoder next h {l}"))).ToArray();
            nextC = Enumerable.Range(0, layers).Select(l => cells ? Own(device.Allocate<float>(rowsState, $"decoder next c {l}")) : null).ToArray();
            Gates = Own(device.Allocate<float>(rowsState * Cell.GateCount, "decoder gates"));
            RecurrentGates = Cell.KeepsRecurrentGates ? Own(device.Allocate<float>(rowsState * Cell.GateCount, "decoder recurrent gates")) : null;
            Embedded = Own(device.Allocate<float>((long)maxRows * Math.Max(config.EmbeddingSize, 1), "decoder embedded input"));
            Logits = Own(device.Allocate<float>((long)maxRows * config.TargetVocabSize, "decoder logits"));
            Current = Own(device.Allocate<int>(maxRows, "decoder input ids"));
            Chosen = Own(device.Allocate<int>(maxRows, "decoder argmax ids"));
            Finished = Own(device.Allocate<int>(maxRows, "decoder finished flags"));
            Parents = Own(device.Allocate<int>(maxRows, "beam parents"));
            if (attention is not null)
            {
                long memoryRows = (long)maxSourceSteps * maxRows;
                AttentionBuffers = Own(new AttentionBuffers(device, config, 1, maxSourceSteps, maxRows, training: false));
                Memory = Own(device.Allocate<float>(memoryRows * config.HiddenSize, "attention memory"));
                MemorySources = Own(device.Allocate<int>(memoryRows, "attention memory rows"));
                MemoryMask = Own(device.Allocate<int>(memoryRows, "attention memory mask"));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int MaxRows { get; }

    public int MaxSourceSteps { get; }

    public int Rows { get; private set; }

    /// <summary>Source steps of the current decode.</summary>
    public int SourceSteps { get; private set; }

    /// <summary>Whether the model attends (then <see cref="ReadAttention"/> and <see cref="ReadAttentionHistory"/> have weights).</summary>
    public bool HasAttention => attention is not null;

    private EncoderBuffers EncoderBuffers { get; } = null!;

    private DeviceBuffer<int> SourceIds { get; } = null!;

    private DeviceBuffer<int> SourceMask { get; } = null!;

    private DeviceBuffer<float> Gates { get; } = null!;

    private DeviceBuffer<float>? RecurrentGates { get; }

    private DeviceBuffer<float> Embedded { get; } = null!;

    private DeviceBuffer<float> Logits { get; } = null!;

    private DeviceBuffer<int> Current { get; } = null!;

    private DeviceBuffer<int> Chosen { get; } = null!;

    private DeviceBuffer<int> Finished { get; } = null!;

    private DeviceBuffer<int> Parents { get; } = null!;

    private AttentionBuffers? AttentionBuffers { get; }

    private DeviceBuffer<float>? Memory { get; }

    private DeviceBuffer<int>? MemorySources { get; }

    private DeviceBuffer<int>? MemoryMask { get; }

    private Seq2SeqConfig Config => model.Config;

    private Compute.DeviceOps Ops => model.Device.Ops;

    private IRecurrentCell Cell => decoder.Cell;

    private long StateLength => (long)Rows * Config.HiddenSize;

    public bool Fits(int rows, int sourceSteps) => rows <= MaxRows && sourceSteps <= MaxSourceSteps;

    /// <summary>Encodes a batch of sources and starts <paramref name="rowsPerSource"/> decoder rows from each one's final state, all fed START.</summary>
    public void Start(Batch sources, int rowsPerSource)
    {
        int b = sources.BatchSize;
        int ts = sources.SourceSteps;
        Rows = b * rowsPerSource;
        SourceSteps = ts;
        SourceIds.CopyFrom(sources.SourceIds);
        SourceMask.CopyFrom(sources.SourceMask);
        ArrayView<int>? mask = sources.Scheme == VocabularyScheme.KerasCompatible ? null : SourceMask.Slice(0, (long)ts * b);
        encoder.Forward(EncoderBuffers, SourceIds.Slice(0, (long)ts * b), mask, sources.SourceIds, sources.SourceMask, ts, b);

        // Row r starts from source r / rowsPerSource: a gather of the final states by that index.
        var replicate = Enumerable.Range(0, Rows).Select(r => r / rowsPerSource).ToArray();
        Parents.CopyFrom(replicate);
        for (int l = 0; l < Config.Layers; l++)
        {
            state.Hidden[l] = h[l].Slice(0, StateLength);
            state.NextHidden[l] = nextH[l].Slice(0, StateLength);
            state.Cells[l] = c[l]?.Slice(0, StateLength) ?? default;
            state.NextCells[l] = nextC[l]?.Slice(0, StateLength) ?? default;
            var (hidden, cells) = encoder.FinalState(EncoderBuffers, l, ts, b);
            Ops.Gather(Parents.Slice(0, Rows), hidden, null, state.Hidden[l], Rows, Config.HiddenSize, b);
            if (Cell.HasCellState)
            {
                Ops.Gather(Parents.Slice(0, Rows), cells, null, state.Cells[l], Rows, Config.HiddenSize, b);
            }
        }

        if (attention is not null)
        {
            StartAttention(sources, rowsPerSource, mask is not null);
        }

        Current.CopyFrom(Enumerable.Repeat(model.Text.TargetVocabulary.StartId, Rows).ToArray());
        Finished.Slice(0, Rows).MemSetToZero();

        // The weights cannot change while a decode runs (the caller holds the device), so U of every layer and the
        // output kernel are prepared at most once per decode (packed once on the host kernels; BF16 copies are kept
        // across decodes until the weights change).
        weights.Refresh();
    }

    /// <summary>
    /// Gives row r its source's encoder outputs, position by position (memory [Ts, rows, H], a gather of the encoder's
    /// top outputs [Ts, B, H]), their keys and values, and its source mask [Ts, rows] (when masked). Beam search reorders rows only
    /// among the rows of one source, so the memory stays valid for the whole decode.
    /// </summary>
    private void StartAttention(Batch sources, int rowsPerSource, bool masked)
    {
        int b = sources.BatchSize;
        int ts = sources.SourceSteps;
        int memoryRows = ts * Rows;
        var rowSources = new int[memoryRows];
        var rowMask = new int[memoryRows];
        for (int s = 0; s < ts; s++)
        {
            for (int r = 0; r < Rows; r++)
            {
                int from = (s * b) + (r / rowsPerSource);
                rowSources[(s * Rows) + r] = from;
                rowMask[(s * Rows) + r] = sources.SourceMask[from];
            }
        }

        sourceMasked = masked;
        encodedBatch = b;
        BuildMemory(rowSources, rowMask);
    }

    /// <summary>
    /// Gathers the memory [Ts, rows, H] from the encoder's top outputs [Ts, B, H] by <paramref name="rowSources"/> (for
    /// each (s, row), its row of the outputs), uploads the mask, and computes the keys and values. The encoder's outputs
    /// stay as <see cref="Start"/> left them, so a <see cref="Compact"/> builds the memory again from them.
    /// </summary>
    private void BuildMemory(int[] rowSources, int[] rowMask)
    {
        memorySources = rowSources;
        memoryMask = rowMask;
        int memoryRows = rowSources.Length;
        MemorySources!.CopyFrom(rowSources);
        MemoryMask!.CopyFrom(rowMask);
        var memory = Memory!.Slice(0, (long)memoryRows * Config.HiddenSize);
        var outputs = encoder.TopOutputs(EncoderBuffers, SourceSteps, encodedBatch);
        Ops.Gather(MemorySources.Slice(0, memoryRows), outputs, null, memory, memoryRows, Config.HiddenSize, SourceSteps * encodedBatch);
        attentionMemory = attention!.Prepare(AttentionBuffers!, memory, memoryRows);
    }

    /// <summary>Sets the next inputs from the host (teacher forcing, beam search).</summary>
    public void SetInputs(ReadOnlySpan<int> tokens) => Current.CopyFrom(tokens);

    /// <summary>Reorders the rows' states: row r takes the state of row parents[r].</summary>
    public void Reorder(ReadOnlySpan<int> parents)
    {
        Parents.CopyFrom(parents);
        for (int l = 0; l < Config.Layers; l++)
        {
            Ops.Gather(Parents.Slice(0, Rows), state.Hidden[l], null, state.NextHidden[l], Rows, Config.HiddenSize, Rows);
            if (Cell.HasCellState)
            {
                Ops.Gather(Parents.Slice(0, Rows), state.Cells[l], null, state.NextCells[l], Rows, Config.HiddenSize, Rows);
            }

            state.Advance(l);
        }
    }

    /// <summary>
    /// Keeps only the rows <paramref name="keep"/>: row i takes the state of row keep[i], and the session has
    /// keep.Length rows from then on (a decode drops its finished rows this way, so later steps compute fewer).
    /// </summary>
    public void Compact(ReadOnlySpan<int> keep)
    {
        int rows = keep.Length;
        if (rows < 1 || rows > Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(keep), rows, $"a session of {Rows} rows keeps between 1 and {Rows}");
        }

        Parents.CopyFrom(keep);
        long length = (long)rows * Config.HiddenSize;
        for (int l = 0; l < Config.Layers; l++)
        {
            var hidden = state.NextHidden[l].SubView(0, length);
            Ops.Gather(Parents.Slice(0, rows), state.Hidden[l], null, hidden, rows, Config.HiddenSize, Rows);
            state.NextHidden[l] = state.Hidden[l].SubView(0, length);
            state.Hidden[l] = hidden;
            if (Cell.HasCellState)
            {
                var cells = state.NextCells[l].SubView(0, length);
                Ops.Gather(Parents.Slice(0, rows), state.Cells[l], null, cells, rows, Config.HiddenSize, Rows);
                state.NextCells[l] = state.Cells[l].SubView(0, length);
                state.Cells[l] = cells;
            }
        }

        if (attention is not null)
        {
            // Row i keeps row keep[i]'s source: its memory, keys, values and mask.
            var rowSources = new int[SourceSteps * rows];
            var rowMask = new int[SourceSteps * rows];
            for (int s = 0; s < SourceSteps; s++)
            {
                for (int i = 0; i < rows; i++)
                {
                    rowSources[(s * rows) + i] = memorySources[(s * Rows) + keep[i]];
                    rowMask[(s * rows) + i] = memoryMask[(s * Rows) + keep[i]];
                }
            }

            Rows = rows;
            BuildMemory(rowSources, rowMask);
        }

        Rows = rows;
    }

    /// <summary>One decoder step from the current inputs: new states, and the logits [rows, V] on the device.</summary>
    public ArrayView<float> Step()
    {
        long gates = StateLength * Cell.GateCount;
        var top = decoder.Step(
            Current.Slice(0, Rows), state, weights.Recurrent, weights.Input, Gates.Slice(0, gates), RecurrentGates?.Slice(0, gates) ?? default, Embedded.Slice(0, (long)Rows * Math.Max(Config.EmbeddingSize, 1)), Rows);
        if (attention is not null)
        {
            long memoryRows = (long)SourceSteps * Rows;
            top = attention.Forward(AttentionBuffers!, top, attentionMemory, sourceMasked ? MemoryMask!.Slice(0, memoryRows) : null, 1, SourceSteps, Rows);
        }

        var logits = Logits.Slice(0, (long)Rows * Config.TargetVocabSize);
        Ops.MatMul(top, weights.Output, model.Weights.Weight(Seq2SeqArchitecture.OutputBias), logits, new MatMulShape(Rows, Config.TargetVocabSize, Config.HiddenSize, hasBias: true));
        return logits;
    }

    /// <summary>The attention weights of the last step [rows, Ts], copied to the host (empty without attention).</summary>
    public float[] ReadAttention()
    {
        if (attention is null)
        {
            return [];
        }

        var host = new float[(long)Rows * SourceSteps];
        LuongAttention.Weights(AttentionBuffers!, 1, SourceSteps, Rows).CopyToCPU(host);
        return host;
    }

    /// <summary>The attention weights of the first <paramref name="steps"/> steps of the last <see cref="Greedy"/> [steps, rows, Ts].</summary>
    public float[] ReadAttentionHistory(int steps)
    {
        if (attention is null || attentionHistory is null)
        {
            return [];
        }

        var host = new float[(long)steps * Rows * SourceSteps];
        attentionHistory.Slice(0, host.Length).CopyToCPU(host);
        return host;
    }

    /// <summary>
    /// Greedy decoding of every row for up to <paramref name="steps"/> steps, all on the device: argmax, record, feed
    /// back. The host reads the finished flags only every <paramref name="checkEvery"/> steps. Returns the output ids [steps, rows].
    /// </summary>
    public int[] Greedy(int steps, int endId, int checkEvery = 8, CancellationToken cancellationToken = default)
    {
        if (outputs is null || outputs.Length < (long)steps * Rows)
        {
            outputs?.Dispose();
            outputs = null;
            outputs = model.Device.Allocate<int>((long)steps * MaxRows, "decoder outputs");
        }

        if (attention is null && Ops.OffersPersistentDecode && Cell.HasPersistentDecoder && GreedyPersistent(steps, endId) is { } decoded)
        {
            return decoded;
        }

        // With attention each step's weights are copied into the history on the device: no host round trip a token.
        long stepWeights = (long)Rows * SourceSteps;
        if (attention is not null && (attentionHistory is null || attentionHistory.Length < steps * stepWeights))
        {
            attentionHistory?.Dispose();
            attentionHistory = null;
            attentionHistory = model.Device.Allocate<float>((long)steps * MaxRows * MaxSourceSteps, "attention history");
        }

        var flags = new int[Rows];
        int done = steps;
        for (int step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var logits = Step();
            if (attention is not null)
            {
                LuongAttention.Weights(AttentionBuffers!, 1, SourceSteps, Rows).CopyTo(attentionHistory!.Slice(step * stepWeights, stepWeights));
            }

            Ops.Argmax(logits, Chosen.Slice(0, Rows), Rows, Config.TargetVocabSize);
            Ops.RecordStep(Chosen.Slice(0, Rows), Current.Slice(0, Rows), outputs.Slice(0, (long)steps * Rows), Finished.Slice(0, Rows), step, Rows, endId);
            if ((step + 1) % checkEvery == 0 && step + 1 < steps)
            {
                Finished.CopyTo(flags);
                if (flags.All(f => f != 0))
                {
                    done = step + 1;
                    break;
                }
            }
        }

        var result = new int[(long)done * Rows];
        outputs.CopyTo(result);
        return result;
    }

    /// <summary>
    /// <see cref="Greedy"/> as one persistent kernel launch (GPUs): the current states are packed into slot 0 of
    /// [2, L, rows, H] state buffers, and the kernel reads the weights in place from the weight store (the matrices from
    /// the decoder's shared bfloat16 copy in <see cref="WeightPrecision.Bf16"/>). The session's
    /// own state views are left as they were at the start (greedy decoding ends a session's use until the next
    /// <see cref="Start"/>). Null, with nothing changed, where the device cannot keep the kernel's groups resident.
    /// </summary>
    private int[]? GreedyPersistent(int steps, int endId)
    {
        int layers = Config.Layers;
        int hidden = Config.HiddenSize;
        long rowsState = StateLength;
        persistentHidden ??= Own(model.Device.Allocate<float>(2L * layers * MaxRows * hidden, "persistent decoder h"));
        persistentCells ??= Own(model.Device.Allocate<float>(2L * layers * MaxRows * hidden, "persistent decoder c"));
        var layout = model.Weights.Layout;
        var matrices = weights.SharedBFloat16;
        bool bfloat16 = weights.Precision == WeightPrecision.Bf16;
        if (bfloat16 && matrices.Length == 0)
        {
            // bfloat16 copies the persistent kernel cannot address (none here: the ILGPU kernels share one buffer).
            return null;
        }

        // Each layer's input kernel, recurrent kernel and bias: the kernels' offsets into the matrices the kernel reads
        // (the store in FP32, the shared copies in bfloat16; a one-hot layer 0's rows are gathered from the store).
        var offsets = new long[3 * layers];
        foreach (var layer in architecture.Decoder.Layers)
        {
            int l = layer.Index;
            offsets[3 * l] = bfloat16 && weights.Input[l] is { } input ? weights.OffsetOf(input) : layout[layer.Kernel].Offset;
            offsets[(3 * l) + 1] = bfloat16 ? weights.OffsetOf(weights.Recurrent[l]) : layout[layer.RecurrentKernel].Offset;
            offsets[(3 * l) + 2] = layout[layer.Bias].Offset;
        }

        if (layerTable is null || !offsets.AsSpan().SequenceEqual(layerTableOffsets))
        {
            if (layerTable is not null)
            {
                owned.Remove(layerTable);
                layerTable.Dispose();
                layerTable = null;
            }

            layerTable = Own(model.Device.Upload<long>(offsets, "persistent decoder layer table"));
            layerTableOffsets = offsets;
        }

        for (int l = 0; l < layers; l++)
        {
            state.Hidden[l].CopyTo(persistentHidden.Slice(l * rowsState, rowsState));
            state.Cells[l].CopyTo(persistentCells.Slice(l * rowsState, rowsState));
        }

        long embedding = architecture.Decoder.Embedding is { } table ? layout[table].Offset : 0;
        var shape = new GreedyDecodeShape(
            Rows, hidden, layers, Config.TargetVocabSize, Config.EmbeddingSize, Config.OneHot, embedding,
            bfloat16 ? weights.OffsetOf(weights.Output) : layout[Seq2SeqArchitecture.OutputKernel].Offset, layout[Seq2SeqArchitecture.OutputBias].Offset, steps, endId, (int)Config.RecurrentActivation);
        int? run = Ops.GreedyDecode(
            model.Weights.Weights.View, matrices, layerTable.View, layerTableOffsets, persistentHidden.View, persistentCells.View, Logits.Slice(0, (long)Rows * Config.TargetVocabSize),
            Current.Slice(0, Rows), Finished.Slice(0, Rows), outputs!.Slice(0, (long)steps * Rows), shape);
        if (run is not { } stepsRun)
        {
            return null;
        }

        PersistentDecodes++;
        var result = new int[(long)stepsRun * Rows];
        outputs.CopyTo(result);
        return result;
    }

    /// <summary>How many <see cref="Greedy"/> calls ran as one persistent launch (tests check the path taken).</summary>
    internal int PersistentDecodes { get; private set; }

    /// <summary>Copies the logits of the last step to the host.</summary>
    public float[] ReadLogits()
    {
        var host = new float[(long)Rows * Config.TargetVocabSize];
        ReadLogits(host);
        return host;
    }

    /// <summary>Copies the logits of the last step, [rows, V], into <paramref name="destination"/> (exactly that long).</summary>
    public void ReadLogits(Span<float> destination) => Logits.CopyTo(destination);

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item.Dispose();
        }

        outputs?.Dispose();
        attentionHistory?.Dispose();
        if (ownsWeights)
        {
            weights.Dispose();
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
