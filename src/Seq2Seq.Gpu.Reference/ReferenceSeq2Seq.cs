namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// The whole encoder-decoder in plain C# and double precision: teacher-forced loss and every parameter's gradient,
/// the decoder's per-step logits, and greedy decoding. The recurrent cell (LSTM or GRU) and every parameter's name
/// come from a <see cref="ReferenceArchitecture"/>; <see cref="ReferenceArchitecture.Default"/> gives the names and
/// shapes of the engine's checkpoints (<c>encoder.lstm.0.kernel</c>, <c>decoder.embedding</c>, <c>output.kernel</c>, ...).
/// A state per layer is (H, C) [B, H] each for an LSTM, and (H, []) for a GRU, which has no cell state.
/// <para>
/// A bidirectional encoder (<see cref="ReferenceArchitecture.EncoderReverse"/>) is written plainly: a forward and a
/// backward stack of H/2 units; the backward one reads every sentence reversed over its true length (the count of its
/// mask's ones; the whole T unmasked), padding left in place; layer l &gt; 0 of each reads [forward_t; backward_t] of
/// layer l − 1 in its own time order; the decoder's initial state is [forward final; backward final] per row.
/// </para>
/// </summary>
public sealed class ReferenceSeq2Seq
{
    private readonly Dictionary<string, double[]> parameters;
    private readonly IReferenceCell cell;
    private readonly IReferenceCell encoderCell;
    private readonly ReferenceAttention? attention;

    /// <summary>Creates an LSTM model with the engine's parameter names over a set of named parameters (not copied: the caller may perturb them).</summary>
    /// <param name="sourceVocab">Source vocabulary size.</param>
    /// <param name="targetVocab">Target vocabulary size.</param>
    /// <param name="embedding">Embedding width, 0 for one-hot inputs.</param>
    /// <param name="hidden">LSTM units.</param>
    /// <param name="layers">Stacked LSTM layers per side.</param>
    /// <param name="parameters">Every parameter by name.</param>
    public ReferenceSeq2Seq(int sourceVocab, int targetVocab, int embedding, int hidden, int layers, Dictionary<string, double[]> parameters)
        : this(ReferenceArchitecture.Default(ReferenceArchitecture.Lstm, layers, oneHot: embedding == 0), sourceVocab, targetVocab, embedding, hidden, parameters)
    {
    }

    /// <summary>Creates a model of the given architecture over a set of named parameters (not copied: the caller may perturb them).</summary>
    /// <param name="architecture">The cell and the parameter names; both sides must have the same number of layers.</param>
    /// <param name="sourceVocab">Source vocabulary size.</param>
    /// <param name="targetVocab">Target vocabulary size.</param>
    /// <param name="embedding">Embedding width, 0 for one-hot inputs (then neither side may name an embedding; otherwise both must).</param>
    /// <param name="hidden">Recurrent units.</param>
    /// <param name="parameters">Every parameter by name; each name of <paramref name="architecture"/> must be present.</param>
    public ReferenceSeq2Seq(ReferenceArchitecture architecture, int sourceVocab, int targetVocab, int embedding, int hidden, Dictionary<string, double[]> parameters)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(parameters);
        IReferenceCell Cell(int units) => architecture.Cell switch
        {
            ReferenceArchitecture.Lstm => new LstmReferenceCell(units, architecture.RecurrentActivation),
            ReferenceArchitecture.Gru => new GruReferenceCell(units),
            _ => throw new ArgumentException($"Unknown cell '{architecture.Cell}'.", nameof(architecture)),
        };
        cell = Cell(hidden);
        if (architecture.EncoderReverse is not null && hidden % 2 != 0)
        {
            throw new ArgumentException($"A bidirectional encoder splits the {hidden} units into two halves: they must be even.", nameof(hidden));
        }

        encoderCell = architecture.EncoderReverse is null ? cell : Cell(hidden / 2);
        int layers = architecture.Encoder.Layers.Count;
        if (layers == 0 || architecture.Decoder.Layers.Count != layers || (architecture.EncoderReverse is { } reverse && reverse.Layers.Count != layers))
        {
            throw new ArgumentException("Both sides need the same number of layers, at least one.", nameof(architecture));
        }

        if ((architecture.Encoder.Embedding is null) != (embedding == 0) || (architecture.Decoder.Embedding is null) != (embedding == 0))
        {
            throw new ArgumentException("A side names an embedding exactly when the embedding width is above 0.", nameof(architecture));
        }

        var missing = Names(architecture).Where(n => !parameters.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw new ArgumentException($"Missing parameters: {string.Join(", ", missing)}.", nameof(parameters));
        }

        attention = architecture.Attention == ReferenceArchitecture.NoAttention ? null : new ReferenceAttention(architecture.Attention, hidden);
        if (attention is not null && (architecture.AttentionCombineKernel is null || (attention.General && architecture.AttentionScoreKernel is null)))
        {
            throw new ArgumentException($"Attention '{architecture.Attention}' needs the names of its kernels.", nameof(architecture));
        }

        Architecture = architecture;
        SourceVocab = sourceVocab;
        TargetVocab = targetVocab;
        Embedding = embedding;
        Hidden = hidden;
        Layers = layers;
        this.parameters = parameters;
    }

    /// <summary>The cell and parameter names.</summary>
    public ReferenceArchitecture Architecture { get; }

    /// <summary>Source vocabulary size.</summary>
    public int SourceVocab { get; }

    /// <summary>Target vocabulary size.</summary>
    public int TargetVocab { get; }

    /// <summary>Embedding width (0 = one-hot).</summary>
    public int Embedding { get; }

    /// <summary>Recurrent units.</summary>
    public int Hidden { get; }

    /// <summary>Stacked layers per side.</summary>
    public int Layers { get; }

    /// <summary>The parameters by name.</summary>
    public IReadOnlyDictionary<string, double[]> Parameters => parameters;

    /// <summary>
    /// Teacher-forced loss (mean over counted target positions), correct count and every gradient; with
    /// <paramref name="dropout"/>, the layers' inputs go through its masks (see <see cref="ReferenceDropout"/>).
    /// </summary>
    public ReferenceTrainingResult ForwardBackward(ReferenceBatch batch, ReferenceDropout? dropout = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var pass = Forward(batch, dropout);
        int rows = batch.TargetSteps * batch.BatchSize;
        int counted = batch.DecoderTargets.Count(t => t >= 0);
        double scale = 1.0 / Math.Max(counted, 1);
        var ce = ReferenceOps.SoftmaxCrossEntropy(pass.Logits, batch.DecoderTargets, rows, TargetVocab, scale);
        double loss = ce.RowLoss.Sum() * scale;
        double correct = ce.RowCorrect.Sum();

        var grads = parameters.ToDictionary(p => p.Key, p => new double[p.Value.Length]);
        int h = Hidden;
        string outputKernel = Architecture.OutputKernel;

        // Output projection: logits = Y·Wout + bout, Y = top decoder states 1..Tt, or with attention their attentional states.
        ReferenceOps.MatMul(pass.OutputInputs, ce.Gradient, null, grads[outputKernel], h, TargetVocab, rows, transposeA: true, accumulate: true);
        ReferenceOps.ColumnSum(ce.Gradient, grads[Architecture.OutputBias], rows, TargetVocab, accumulate: true);
        var dTop = new double[rows * h];
        ReferenceOps.MatMul(ce.Gradient, parameters[outputKernel], null, dTop, rows, h, TargetVocab, transposeB: true);
        double[]? dMemory = null;
        if (pass.Attention is { } attended)
        {
            (dTop, dMemory) = attention!.Backward(
                attended, dTop, ScoreKernel(parameters), parameters[Architecture.AttentionCombineKernel!], ScoreKernel(grads), grads[Architecture.AttentionCombineKernel!]);
        }

        // The decoder's initial state is the encoder's final one, so the decoder's dh0 (and dc0) carry into the encoder.
        var carry = new ReferenceCellGradients[Layers];
        double[]? dExternal = dTop;
        for (int l = Layers - 1; l >= 0; l--)
        {
            (carry[l], dExternal) = BackwardLayer(Architecture.Decoder, cell, l, pass.Decoder, pass.DecoderInputs, batch.DecoderInputs, dExternal, null, null, grads, Dropped(dropout, DecoderSide));
        }

        if (pass.ReverseEncoder is { } reverse)
        {
            BackwardBidirectional(pass, reverse, batch, carry, grads, Dropped(dropout, EncoderSide), dMemory);
        }
        else
        {
            // With attention the top layer's outputs were read, so they get the attention's gradient.
            dExternal = dMemory;
            for (int l = Layers - 1; l >= 0; l--)
            {
                (_, dExternal) = BackwardLayer(
                    Architecture.Encoder, encoderCell, l, pass.Encoder, pass.EncoderInputs, batch.SourceIds, dExternal, carry[l].DhInitial, carry[l].DcInitial, grads, Dropped(dropout, EncoderSide));
            }
        }

        return new ReferenceTrainingResult(loss, correct, counted, grads);
    }

    /// <summary>Teacher-forced decoder logits [Tt, B, V].</summary>
    public double[] TeacherForcedLogits(ReferenceBatch batch) => Forward(batch ?? throw new ArgumentNullException(nameof(batch)), null).Logits;

    /// <summary>
    /// Greedy decoding of one source sentence: encode, then feed <paramref name="startId"/> and each argmax back until
    /// <paramref name="endId"/> or <paramref name="maxLength"/> tokens. Returns the tokens without START/END.
    /// </summary>
    public IReadOnlyList<int> GreedyDecode(int[] source, int startId, int endId, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(source);
        var encoder = new ReferenceBatch(source, null, [startId], [-1], null, source.Length, 1, 1);
        var encoded = Encode(encoder, Identity);
        var states = encoded.Initial;
        var output = new List<int>();
        int token = startId;
        for (int step = 0; step < maxLength; step++)
        {
            var logits = DecoderStep(token, states, encoded.TopOutputs, out _);
            int next = ReferenceOps.Argmax(logits, 1, TargetVocab)[0];
            if (next == endId)
            {
                break;
            }

            output.Add(next);
            token = next;
        }

        return output;
    }

    /// <summary>The encoder's final state per layer for a batch (the decoder's initial state); C is empty for a GRU.</summary>
    public (double[] H, double[] C)[] EncoderFinalStates(ReferenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Encode(batch, Identity).Initial;
    }

    /// <summary>
    /// The encoder's top-layer outputs [T, B, H] in source order: h_t, or [forward_t; backward_t] with a bidirectional
    /// encoder (on padding, each direction's carried state).
    /// </summary>
    public double[] EncoderOutputs(ReferenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Encode(batch, Identity).TopOutputs;
    }

    /// <summary>One decoder step for a batch of one without attention: advances <paramref name="states"/> in place and returns the logits [V].</summary>
    public double[] DecoderStep(int token, (double[] H, double[] C)[] states)
    {
        if (attention is not null)
        {
            throw new InvalidOperationException("This model attends over the encoder's outputs: pass them to the overload that takes the memory.");
        }

        return DecoderStep(token, states, [], out _);
    }

    /// <summary>
    /// One decoder step for a batch of one: advances <paramref name="states"/> in place and returns the logits [V]. With
    /// attention, <paramref name="memory"/> is the sentence's encoder outputs [Ts, 1, H] (<see cref="EncoderOutputs"/>) and
    /// <paramref name="weights"/> the step's attention weights [Ts]; without, both are empty.
    /// </summary>
    public double[] DecoderStep(int token, (double[] H, double[] C)[] states, double[] memory, out double[] weights)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(memory);
        var side = Architecture.Decoder;
        var input = InputProjection(side, cell, [token], 1);
        double[] top = [];
        for (int l = 0; l < Layers; l++)
        {
            var names = side.Layers[l];
            var x = l == 0 ? input : Project(names, cell, top, 1, Hidden);
            var run = cell.Forward(x, parameters[names.RecurrentKernel], parameters[names.Bias], states[l], null, 1, 1);
            states[l] = run.Final;
            top = run.H[1];
        }

        weights = [];
        if (attention is not null)
        {
            var attended = attention.Forward(top, memory, null, ScoreKernel(parameters), parameters[Architecture.AttentionCombineKernel!], 1, memory.Length / Hidden, 1);
            top = attended.Attentional;
            weights = attended.Weights;
        }

        var logits = new double[TargetVocab];
        ReferenceOps.MatMul(top, parameters[Architecture.OutputKernel], parameters[Architecture.OutputBias], logits, 1, TargetVocab, Hidden);
        return logits;
    }

    private static IEnumerable<string> Names(ReferenceArchitecture architecture) =>
        new[] { architecture.Encoder, architecture.Decoder, architecture.EncoderReverse }
            .OfType<ReferenceSideNames>()
            .SelectMany(s => s.Layers.SelectMany(l => new[] { l.Kernel, l.RecurrentKernel, l.Bias }).Prepend(s.Embedding))
            .Append(architecture.OutputKernel)
            .Append(architecture.OutputBias)
            .Append(architecture.AttentionScoreKernel)
            .Append(architecture.AttentionCombineKernel)
            .OfType<string>();

    /// <summary>W_a (or its gradient) of general attention from a set of named arrays; null otherwise.</summary>
    private double[]? ScoreKernel(Dictionary<string, double[]> arrays) => Architecture.AttentionScoreKernel is { } name ? arrays[name] : null;

    /// <summary>A side's inputs of a layer (or their gradient) through the dropout's mask, or unchanged without dropout.</summary>
    private static Func<int, double[], double[]> Dropped(ReferenceDropout? dropout, int side) =>
        dropout is null ? Identity : (layer, x) => dropout.Apply(side, layer, x);

    private static double[] Identity(int layer, double[] x) => x;

    private ForwardPass Forward(ReferenceBatch batch, ReferenceDropout? dropout)
    {
        var encoded = Encode(batch, Dropped(dropout, EncoderSide));
        var decoder = RunSide(Architecture.Decoder, cell, batch.DecoderInputs, batch.TargetMask, batch.TargetSteps, batch.BatchSize, encoded.Initial, Dropped(dropout, DecoderSide), out var decoderInputs);
        int rows = batch.TargetSteps * batch.BatchSize;
        var logits = new double[rows * TargetVocab];
        var y = Concat(decoder[Layers - 1].H, 1, batch.TargetSteps);
        var attended = attention?.Forward(
            y, encoded.TopOutputs, batch.SourceMask, ScoreKernel(parameters), parameters[Architecture.AttentionCombineKernel!], batch.TargetSteps, batch.SourceSteps, batch.BatchSize);
        var outputInputs = attended?.Attentional ?? y;
        ReferenceOps.MatMul(outputInputs, parameters[Architecture.OutputKernel], parameters[Architecture.OutputBias], logits, rows, TargetVocab, Hidden);
        return new ForwardPass(encoded.Forward, encoded.ForwardInputs, decoder, decoderInputs, logits, encoded.Reverse, outputInputs, attended);
    }

    /// <summary>
    /// The encoder over a batch: its runs and the decoder's initial state per layer. <paramref name="drop"/> drops each
    /// layer's inputs (both directions of a bidirectional encoder with the same masks, each in its own time order).
    /// </summary>
    private EncoderPass Encode(ReferenceBatch batch, Func<int, double[], double[]> drop)
    {
        if (Architecture.EncoderReverse is not { } reverseSide)
        {
            var runs = RunSide(Architecture.Encoder, cell, batch.SourceIds, batch.SourceMask, batch.SourceSteps, batch.BatchSize, null, drop, out var inputs);
            return new EncoderPass(runs, inputs, null, runs.Select(r => r.Final).ToArray(), Concat(runs[Layers - 1].H, 1, batch.SourceSteps));
        }

        // Bidirectional: layer by layer, both directions, each reading the concatenation below in its own time order.
        int steps = batch.SourceSteps, b = batch.BatchSize, u = encoderCell.Units;
        var lengths = Lengths(batch);
        var reversedIds = ReverseTime(batch.SourceIds, lengths, steps, 1);
        var forward = new IReferenceCellRun[Layers];
        var backward = new IReferenceCellRun[Layers];
        var forwardInputs = new double[Layers][];
        var backwardInputs = new double[Layers][];
        var initial = new (double[] H, double[] C)[Layers];
        double[] concat = [];
        for (int l = 0; l < Layers; l++)
        {
            if (l == 0)
            {
                forward[l] = RunLayer(Architecture.Encoder, 0, batch.SourceIds, null, batch.SourceMask, steps, b, drop, out forwardInputs[l]);
                backward[l] = RunLayer(reverseSide, 0, reversedIds, null, batch.SourceMask, steps, b, drop, out backwardInputs[l]);
            }
            else
            {
                forward[l] = RunLayer(Architecture.Encoder, l, batch.SourceIds, concat, batch.SourceMask, steps, b, drop, out forwardInputs[l]);
                backward[l] = RunLayer(reverseSide, l, reversedIds, ReverseTime(concat, lengths, steps, 2 * u), batch.SourceMask, steps, b, drop, out backwardInputs[l]);
            }

            // Layer l's outputs in source order: [forward_t; backward output at source step t].
            concat = Interleave(Concat(forward[l].H, 1, steps), ReverseTime(Concat(backward[l].H, 1, steps), lengths, steps, u), u);
            var (fh, fc) = forward[l].Final;
            var (bh, bc) = backward[l].Final;
            initial[l] = (Interleave(fh, bh, u), fc.Length == 0 ? [] : Interleave(fc, bc, u));
        }

        return new EncoderPass(forward, forwardInputs, new ReverseEncoderPass(backward, backwardInputs, reversedIds, lengths), initial, concat);
    }

    /// <summary>Back-propagation of a bidirectional encoder from the gradients into the decoder's initial states.</summary>
    private void BackwardBidirectional(
        ForwardPass pass, ReverseEncoderPass reverse, ReferenceBatch batch, ReferenceCellGradients[] carry, Dictionary<string, double[]> grads, Func<int, double[], double[]> drop, double[]? dOutputs)
    {
        int steps = batch.SourceSteps, u = encoderCell.Units;
        double[]? dForward = null, dBackward = null;
        if (dOutputs is not null)
        {
            // The top outputs are [forward_t; backward output at source step t]: each half goes to its direction, the
            // backward one in its own (reversed) time order.
            var (dTopForward, dTopBackward) = Deinterleave(dOutputs, u);
            dForward = dTopForward;
            dBackward = ReverseTime(dTopBackward, reverse.Lengths, steps, u);
        }

        for (int l = Layers - 1; l >= 0; l--)
        {
            var (dhF, dhB) = Deinterleave(carry[l].DhInitial, u);
            var (dcF, dcB) = carry[l].DcInitial.Length == 0 ? ([], []) : Deinterleave(carry[l].DcInitial, u);
            var (_, dInForward) = BackwardLayer(Architecture.Encoder, encoderCell, l, pass.Encoder, pass.EncoderInputs, batch.SourceIds, dForward, dhF, dcF, grads, drop);
            var (_, dInBackward) = BackwardLayer(Architecture.EncoderReverse!, encoderCell, l, reverse.Runs, reverse.Inputs, reverse.ReversedIds, dBackward, dhB, dcB, grads, drop);
            if (l == 0)
            {
                break;
            }

            // The concatenation below, in source order, got both directions' input gradients.
            var dConcat = dInForward!;
            Add(dConcat, ReverseTime(dInBackward!, reverse.Lengths, steps, 2 * u));
            var (dLowerForward, dLowerBackward) = Deinterleave(dConcat, u);
            dForward = dLowerForward;
            dBackward = ReverseTime(dLowerBackward, reverse.Lengths, steps, u);
        }
    }

    /// <summary>
    /// Layer l of a side from ids (layer 0) or the layer below's outputs <paramref name="lower"/> [T·B, input width];
    /// <paramref name="layerInput"/> is what it read, through <paramref name="drop"/> (empty for one-hot inputs).
    /// </summary>
    private IReferenceCellRun RunLayer(
        ReferenceSideNames side, int l, int[] ids, double[]? lower, int[]? mask, int steps, int batch, Func<int, double[], double[]> drop, out double[] layerInput)
    {
        var names = side.Layers[l];
        double[] xProj;
        if (l == 0 && side.Embedding is null)
        {
            xProj = InputProjection(side, encoderCell, ids, batch * steps);
            layerInput = [];
        }
        else
        {
            layerInput = drop(l, l == 0 ? ReferenceOps.Gather(ids, parameters[side.Embedding!], null, Embedding) : lower!);
            xProj = Project(names, encoderCell, layerInput, steps * batch, l == 0 ? Embedding : Hidden);
        }

        return encoderCell.Forward(xProj, parameters[names.RecurrentKernel], parameters[names.Bias], encoderCell.InitialState(batch), mask, steps, batch);
    }

    /// <summary>Each row's true length: the ones of its mask column, or T with no mask.</summary>
    private static int[] Lengths(ReferenceBatch batch) =>
        Enumerable.Range(0, batch.BatchSize)
            .Select(b => batch.SourceMask is null ? batch.SourceSteps : Enumerable.Range(0, batch.SourceSteps).Count(t => batch.SourceMask[(t * batch.BatchSize) + b] != 0))
            .ToArray();

    /// <summary>
    /// A time-major [T, B, W] sequence with row b's first lengths[b] steps reversed (step t takes step len − 1 − t),
    /// its padding steps left in place. Its own inverse.
    /// </summary>
    private static T[] ReverseTime<T>(T[] sequence, int[] lengths, int steps, int width)
    {
        int batch = lengths.Length;
        var result = new T[sequence.Length];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int from = t < lengths[b] ? lengths[b] - 1 - t : t;
                Array.Copy(sequence, ((from * batch) + b) * width, result, ((t * batch) + b) * width, width);
            }
        }

        return result;
    }

    /// <summary>Rows [first (W); second (W)] [N, 2W] of two [N, W] arrays.</summary>
    private static double[] Interleave(double[] first, double[] second, int width)
    {
        int n = first.Length / width;
        var result = new double[2 * first.Length];
        for (int r = 0; r < n; r++)
        {
            Array.Copy(first, r * width, result, 2 * r * width, width);
            Array.Copy(second, r * width, result, ((2 * r) + 1) * width, width);
        }

        return result;
    }

    /// <summary>The two halves [N, W] of each row of an [N, 2W] array.</summary>
    private static (double[] First, double[] Second) Deinterleave(double[] rows, int width)
    {
        int n = rows.Length / (2 * width);
        var first = new double[n * width];
        var second = new double[n * width];
        for (int r = 0; r < n; r++)
        {
            Array.Copy(rows, 2 * r * width, first, r * width, width);
            Array.Copy(rows, ((2 * r) + 1) * width, second, r * width, width);
        }

        return (first, second);
    }

    private IReferenceCellRun[] RunSide(
        ReferenceSideNames side, IReferenceCell sideCell, int[] ids, int[]? mask, int steps, int batch, (double[] H, double[] C)[]? initial, Func<int, double[], double[]> drop,
        out double[][] layerInputs)
    {
        var runs = new IReferenceCellRun[Layers];
        layerInputs = new double[Layers][];
        for (int l = 0; l < Layers; l++)
        {
            var names = side.Layers[l];
            double[] xProj;
            if (l == 0 && side.Embedding is null)
            {
                // One-hot inputs: no embedding output to drop.
                xProj = InputProjection(side, sideCell, ids, batch * steps);
                layerInputs[l] = [];
            }
            else
            {
                // The layer's inputs as it sees them (dropped, in training with dropout), kept for dW in the backward pass.
                var x = l == 0 ? ReferenceOps.Gather(ids, parameters[side.Embedding!], null, Embedding) : Concat(runs[l - 1].H, 1, steps);
                layerInputs[l] = drop(l, x);
                xProj = Project(names, sideCell, layerInputs[l], steps * batch, l == 0 ? Embedding : Hidden);
            }

            var state = initial?[l] ?? sideCell.InitialState(batch);
            runs[l] = sideCell.Forward(xProj, parameters[names.RecurrentKernel], parameters[names.Bias], state, mask, steps, batch);
        }

        return runs;
    }

    /// <summary>Layer 0's projected inputs [rows, gates·H]: the kernel's rows themselves in one-hot mode, else embedding·W; plus the input bias.</summary>
    private double[] InputProjection(ReferenceSideNames side, IReferenceCell sideCell, int[] ids, int rows)
    {
        var names = side.Layers[0];
        var bias = sideCell.InputBias(parameters[names.Bias]);
        int gates = sideCell.Gates * sideCell.Units;
        if (side.Embedding is null)
        {
            return ReferenceOps.Gather(ids, parameters[names.Kernel], bias, gates);
        }

        return Project(names, sideCell, ReferenceOps.Gather(ids, parameters[side.Embedding], null, Embedding), rows, Embedding);
    }

    /// <summary>
    /// A layer's projected inputs [rows, gates·U] from its inputs x [rows, width]: embedding outputs, or the layer
    /// below's outputs (H wide both ways: a unidirectional layer's U = H, and a bidirectional encoder's concatenation
    /// of two directions of U = H/2).
    /// </summary>
    private double[] Project(ReferenceLayerNames names, IReferenceCell sideCell, double[] x, int rows, int width)
    {
        int gates = sideCell.Gates * sideCell.Units;
        var z = new double[rows * gates];
        ReferenceOps.MatMul(x, parameters[names.Kernel], sideCell.InputBias(parameters[names.Bias]), z, rows, gates, width);
        return z;
    }

    /// <summary>
    /// Back-propagates layer l of a side, adding into <paramref name="grads"/>; returns the cell's gradients (for the
    /// initial state) and the gradient into the layer's input [rows, H], or null at layer 0 (there it goes into the table).
    /// <paramref name="drop"/> takes the gradient of the dropped inputs back through the forward pass's mask.
    /// </summary>
    private (ReferenceCellGradients Cell, double[]? DInput) BackwardLayer(
        ReferenceSideNames side, IReferenceCell sideCell, int l, IReferenceCellRun[] runs, double[][] layerInputs, int[] ids, double[]? dExternal,
        double[]? dhFinal, double[]? dcFinal, Dictionary<string, double[]> grads, Func<int, double[], double[]> drop)
    {
        var names = side.Layers[l];
        int gates = sideCell.Gates * sideCell.Units;
        var g = runs[l].Backward(dExternal, dhFinal, dcFinal);
        int rows = g.DInputGates.Length / gates;
        Add(grads[names.RecurrentKernel], g.DRecurrent);
        Add(grads[names.Bias], g.DBias);
        if (l == 0 && side.Embedding is null)
        {
            ReferenceOps.ScatterAdd(ids, g.DInputGates, grads[names.Kernel], gates);
            return (g, null);
        }

        int width = l == 0 ? Embedding : Hidden;
        ReferenceOps.MatMul(layerInputs[l], g.DInputGates, null, grads[names.Kernel], width, gates, rows, transposeA: true, accumulate: true);
        var dDropped = new double[rows * width];
        ReferenceOps.MatMul(g.DInputGates, parameters[names.Kernel], null, dDropped, rows, width, gates, transposeB: true);
        var dInput = drop(l, dDropped);
        if (side.Embedding is not null && l == 0)
        {
            ReferenceOps.ScatterAdd(ids, dInput, grads[side.Embedding], Embedding);
            return (g, null);
        }

        return (g, dInput);
    }

    private static double[] Concat(double[][] states, int from, int count) => states.Skip(from).Take(count).SelectMany(s => s).ToArray();

    private static void Add(double[] target, double[] source)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += source[i];
        }
    }

    private const int EncoderSide = 0;

    private const int DecoderSide = 1;

    private sealed record ForwardPass(
        IReferenceCellRun[] Encoder,
        double[][] EncoderInputs,
        IReferenceCellRun[] Decoder,
        double[][] DecoderInputs,
        double[] Logits,
        ReverseEncoderPass? ReverseEncoder,
        double[] OutputInputs,
        ReferenceAttentionPass? Attention);

    private sealed record EncoderPass(IReferenceCellRun[] Forward, double[][] ForwardInputs, ReverseEncoderPass? Reverse, (double[] H, double[] C)[] Initial, double[] TopOutputs);

    private sealed record ReverseEncoderPass(IReferenceCellRun[] Runs, double[][] Inputs, int[] ReversedIds, int[] Lengths);
}
