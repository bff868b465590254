using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// Device buffers and steps of step-by-step decoding for up to <see cref="MaxRows"/> decoder rows: the encoder's
/// activations, per layer the decoder state (h, c) [rows, H] and its next-step twin, the step's gates and logits,
/// and the greedy bookkeeping (current ids, argmax, finished flags, outputs). Reads the weights from the model's
/// weight store at every launch: nothing is copied.
/// </summary>
internal sealed class DecoderSession : IDisposable
{
    private readonly Seq2SeqModel model;
    private readonly LstmStack encoder;
    private readonly LstmStack decoder;
    private readonly List<IDisposable> owned = [];
    private readonly DeviceBuffer<float>[] h;
    private readonly DeviceBuffer<float>[] c;
    private readonly DeviceBuffer<float>[] nextH;
    private readonly DeviceBuffer<float>[] nextC;
    private readonly ArrayView<float>[] hViews;
    private readonly ArrayView<float>[] cViews;
    private readonly ArrayView<float>[] nextHViews;
    private readonly ArrayView<float>[] nextCViews;
    private DeviceBuffer<int>? outputs;
    private PreparedRightOperand[] recurrent = [];
    private PreparedRightOperand? outputKernel;
    private DeviceBuffer<float>? persistentHidden;
    private DeviceBuffer<float>? persistentCells;
    private DeviceBuffer<long>? layerTable;

    public DecoderSession(Seq2SeqModel model, int maxRows, int maxSourceSteps)
    {
        this.model = model;
        MaxRows = maxRows;
        MaxSourceSteps = maxSourceSteps;
        var config = model.Config;
        var device = model.Device;
        encoder = new LstmStack(model.Weights, config, ModelLayout.Encoder);
        decoder = new LstmStack(model.Weights, config, ModelLayout.Decoder);
        int layers = config.Layers;
        long state = (long)maxRows * config.HiddenSize;
        try
        {
            EncoderBuffers = Own(new LstmStackBuffers(device, "encoder", layers, config.HiddenSize, config.EmbeddingSize, maxSourceSteps, maxRows));
            SourceIds = Own(device.Allocate<int>((long)maxSourceSteps * maxRows, "source ids"));
            SourceMask = Own(device.Allocate<int>((long)maxSourceSteps * maxRows, "source mask"));
            h = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(state, $"decoder h {l}"))).ToArray();
            c = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(state, $"decoder c {l}"))).ToArray();
            nextH = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(state, $"decoder next h {l}"))).ToArray();
            nextC = Enumerable.Range(0, layers).Select(l => Own(device.Allocate<float>(state, $"decoder next c {l}"))).ToArray();
            Gates = Own(device.Allocate<float>(state * LstmGates.Count, "decoder gates"));
            Embedded = Own(device.Allocate<float>((long)maxRows * Math.Max(config.EmbeddingSize, 1), "decoder embedded input"));
            Logits = Own(device.Allocate<float>((long)maxRows * config.TargetVocabSize, "decoder logits"));
            Current = Own(device.Allocate<int>(maxRows, "decoder input ids"));
            Chosen = Own(device.Allocate<int>(maxRows, "decoder argmax ids"));
            Finished = Own(device.Allocate<int>(maxRows, "decoder finished flags"));
            Parents = Own(device.Allocate<int>(maxRows, "beam parents"));
        }
        catch
        {
            Dispose();
            throw;
        }

        hViews = new ArrayView<float>[layers];
        cViews = new ArrayView<float>[layers];
        nextHViews = new ArrayView<float>[layers];
        nextCViews = new ArrayView<float>[layers];
    }

    public int MaxRows { get; }

    public int MaxSourceSteps { get; }

    public int Rows { get; private set; }

    private LstmStackBuffers EncoderBuffers { get; } = null!;

    private DeviceBuffer<int> SourceIds { get; } = null!;

    private DeviceBuffer<int> SourceMask { get; } = null!;

    private DeviceBuffer<float> Gates { get; } = null!;

    private DeviceBuffer<float> Embedded { get; } = null!;

    private DeviceBuffer<float> Logits { get; } = null!;

    private DeviceBuffer<int> Current { get; } = null!;

    private DeviceBuffer<int> Chosen { get; } = null!;

    private DeviceBuffer<int> Finished { get; } = null!;

    private DeviceBuffer<int> Parents { get; } = null!;

    private Seq2SeqConfig Config => model.Config;

    private Compute.DeviceOps Ops => model.Device.Ops;

    public bool Fits(int rows, int sourceSteps) => rows <= MaxRows && sourceSteps <= MaxSourceSteps;

    /// <summary>Encodes a batch of sources and starts <paramref name="rowsPerSource"/> decoder rows from each one's final state, all fed START.</summary>
    public void Start(Batch sources, int rowsPerSource)
    {
        int b = sources.BatchSize;
        int ts = sources.SourceSteps;
        Rows = b * rowsPerSource;
        SourceIds.CopyFrom(sources.SourceIds);
        SourceMask.CopyFrom(sources.SourceMask);
        for (int l = 0; l < Config.Layers; l++)
        {
            EncoderBuffers.HAt(l, 0, b).MemSetToZero();
            EncoderBuffers.CAt(l, 0, b).MemSetToZero();
        }

        ArrayView<int>? mask = sources.Scheme == VocabularyScheme.KerasCompatible ? null : SourceMask.Slice(0, (long)ts * b);
        encoder.Forward(EncoderBuffers, SourceIds.Slice(0, (long)ts * b), mask, ts, b);

        // Row r starts from source r / rowsPerSource: a gather of the final states by that index.
        var replicate = Enumerable.Range(0, Rows).Select(r => r / rowsPerSource).ToArray();
        Parents.CopyFrom(replicate);
        for (int l = 0; l < Config.Layers; l++)
        {
            hViews[l] = h[l].Slice(0, (long)Rows * Config.HiddenSize);
            cViews[l] = c[l].Slice(0, (long)Rows * Config.HiddenSize);
            nextHViews[l] = nextH[l].Slice(0, (long)Rows * Config.HiddenSize);
            nextCViews[l] = nextC[l].Slice(0, (long)Rows * Config.HiddenSize);
            Ops.Gather(Parents.Slice(0, Rows), EncoderBuffers.HAt(l, ts, b), null, hViews[l], Rows, Config.HiddenSize, b);
            Ops.Gather(Parents.Slice(0, Rows), EncoderBuffers.CAt(l, ts, b), null, cViews[l], Rows, Config.HiddenSize, b);
        }

        Current.CopyFrom(Enumerable.Repeat(model.Text.TargetVocabulary.StartId, Rows).ToArray());
        Finished.Slice(0, Rows).MemSetToZero();

        // The weights cannot change while a decode runs (the caller holds the device), so U of every layer and the
        // output kernel are prepared once per decode (packed once on the host kernels).
        DisposeRecurrent();
        recurrent = Enumerable.Range(0, Config.Layers).Select(decoder.PrepareRecurrent).ToArray();
        outputKernel = Ops.PrepareRight(model.Weights.Weight(ModelLayout.OutputKernel), Config.HiddenSize, Config.TargetVocabSize, transposed: false);
    }

    /// <summary>Sets the next inputs from the host (teacher forcing, beam search).</summary>
    public void SetInputs(ReadOnlySpan<int> tokens) => Current.CopyFrom(tokens);

    /// <summary>Reorders the rows' states: row r takes the state of row parents[r].</summary>
    public void Reorder(ReadOnlySpan<int> parents)
    {
        Parents.CopyFrom(parents);
        for (int l = 0; l < Config.Layers; l++)
        {
            Ops.Gather(Parents.Slice(0, Rows), hViews[l], null, nextHViews[l], Rows, Config.HiddenSize, Rows);
            Ops.Gather(Parents.Slice(0, Rows), cViews[l], null, nextCViews[l], Rows, Config.HiddenSize, Rows);
            (hViews[l], nextHViews[l]) = (nextHViews[l], hViews[l]);
            (cViews[l], nextCViews[l]) = (nextCViews[l], cViews[l]);
        }
    }

    /// <summary>One decoder step from the current inputs: new states, and the logits [rows, V] on the device.</summary>
    public ArrayView<float> Step()
    {
        var top = decoder.Step(Current.Slice(0, Rows), hViews, cViews, nextHViews, nextCViews, recurrent, Gates.Slice(0, (long)Rows * LstmGates.Count * Config.HiddenSize), Embedded.Slice(0, (long)Rows * Math.Max(Config.EmbeddingSize, 1)), Rows);
        var logits = Logits.Slice(0, (long)Rows * Config.TargetVocabSize);
        Ops.MatMul(top, outputKernel!, model.Weights.Weight(ModelLayout.OutputBias), logits, new MatMulShape(Rows, Config.TargetVocabSize, Config.HiddenSize, hasBias: true));
        return logits;
    }

    /// <summary>
    /// Greedy decoding of every row for up to <paramref name="steps"/> steps, all on the device: argmax, record, feed
    /// back. The host reads the finished flags only every <paramref name="checkEvery"/> steps. Returns the output ids [steps, rows].
    /// </summary>
    public int[] Greedy(int steps, int endId, int checkEvery = 8)
    {
        if (outputs is null || outputs.Length < (long)steps * Rows)
        {
            outputs?.Dispose();
            outputs = null;
            outputs = model.Device.Allocate<int>((long)steps * MaxRows, "decoder outputs");
        }

        if (Ops.OffersPersistentDecode && GreedyPersistent(steps, endId) is { } decoded)
        {
            return decoded;
        }

        var flags = new int[Rows];
        int done = steps;
        for (int step = 0; step < steps; step++)
        {
            var logits = Step();
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
    /// [2, L, rows, H] state buffers, and the kernel reads the weights in place from the weight store. The session's
    /// own state views are left as they were at the start (greedy decoding ends a session's use until the next
    /// <see cref="Start"/>). Null, with nothing changed, where the device cannot keep the kernel's groups resident.
    /// </summary>
    private int[]? GreedyPersistent(int steps, int endId)
    {
        int layers = Config.Layers;
        int hidden = Config.HiddenSize;
        long state = (long)Rows * hidden;
        persistentHidden ??= Own(model.Device.Allocate<float>(2L * layers * MaxRows * hidden, "persistent decoder h"));
        persistentCells ??= Own(model.Device.Allocate<float>(2L * layers * MaxRows * hidden, "persistent decoder c"));
        var layout = model.Weights.Layout;
        if (layerTable is null)
        {
            // Offsets of the decoder's weights in the parameter buffer: fixed by the layout, so uploaded once.
            var offsets = new long[3 * layers];
            for (int l = 0; l < layers; l++)
            {
                offsets[3 * l] = layout[ModelLayout.Kernel(ModelLayout.Decoder, l)].Offset;
                offsets[(3 * l) + 1] = layout[ModelLayout.RecurrentKernel(ModelLayout.Decoder, l)].Offset;
                offsets[(3 * l) + 2] = layout[ModelLayout.Bias(ModelLayout.Decoder, l)].Offset;
            }

            layerTable = Own(model.Device.Upload<long>(offsets, "persistent decoder layer table"));
        }

        for (int l = 0; l < layers; l++)
        {
            hViews[l].CopyTo(persistentHidden.Slice(l * state, state));
            cViews[l].CopyTo(persistentCells.Slice(l * state, state));
        }

        long embedding = Config.OneHot ? 0 : layout[ModelLayout.Embedding(ModelLayout.Decoder)].Offset;
        var shape = new GreedyDecodeShape(
            Rows, hidden, layers, Config.TargetVocabSize, Config.EmbeddingSize, Config.OneHot, embedding,
            layout[ModelLayout.OutputKernel].Offset, layout[ModelLayout.OutputBias].Offset, steps, endId);
        int? run = Ops.GreedyDecode(
            model.Weights.Weights.View, layerTable.View, persistentHidden.View, persistentCells.View, Logits.Slice(0, (long)Rows * Config.TargetVocabSize),
            Current.Slice(0, Rows), Finished.Slice(0, Rows), outputs!.Slice(0, (long)steps * Rows), shape);
        if (run is not { } stepsRun)
        {
            return null;
        }

        var result = new int[(long)stepsRun * Rows];
        outputs.CopyTo(result);
        return result;
    }

    /// <summary>Copies the logits of the last step to the host.</summary>
    public float[] ReadLogits()
    {
        var host = new float[(long)Rows * Config.TargetVocabSize];
        Logits.CopyTo(host);
        return host;
    }

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item.Dispose();
        }

        outputs?.Dispose();
        DisposeRecurrent();
        owned.Clear();
    }

    private void DisposeRecurrent()
    {
        foreach (var operand in recurrent)
        {
            operand.Dispose();
        }

        recurrent = [];
        outputKernel?.Dispose();
        outputKernel = null;
    }

    private T Own<T>(T item)
        where T : IDisposable
    {
        owned.Add(item);
        return item;
    }
}
