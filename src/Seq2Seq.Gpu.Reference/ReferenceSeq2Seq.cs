namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// The whole encoder-decoder in plain C# and double precision: teacher-forced loss and every parameter's gradient,
/// the decoder's per-step logits, and greedy decoding. Parameters are held by name, with the names and shapes of
/// the engine's checkpoints (<c>encoder.lstm.0.kernel</c>, <c>decoder.embedding</c>, <c>output.kernel</c>, ...).
/// </summary>
public sealed class ReferenceSeq2Seq
{
    private readonly Dictionary<string, double[]> parameters;

    /// <summary>Creates the model over a set of named parameters (not copied: the caller may perturb them).</summary>
    /// <param name="sourceVocab">Source vocabulary size.</param>
    /// <param name="targetVocab">Target vocabulary size.</param>
    /// <param name="embedding">Embedding width, 0 for one-hot inputs.</param>
    /// <param name="hidden">LSTM units.</param>
    /// <param name="layers">Stacked LSTM layers per side.</param>
    /// <param name="parameters">Every parameter by name.</param>
    public ReferenceSeq2Seq(int sourceVocab, int targetVocab, int embedding, int hidden, int layers, Dictionary<string, double[]> parameters)
    {
        SourceVocab = sourceVocab;
        TargetVocab = targetVocab;
        Embedding = embedding;
        Hidden = hidden;
        Layers = layers;
        this.parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
    }

    /// <summary>Source vocabulary size.</summary>
    public int SourceVocab { get; }

    /// <summary>Target vocabulary size.</summary>
    public int TargetVocab { get; }

    /// <summary>Embedding width (0 = one-hot).</summary>
    public int Embedding { get; }

    /// <summary>LSTM units.</summary>
    public int Hidden { get; }

    /// <summary>Stacked layers per side.</summary>
    public int Layers { get; }

    /// <summary>The parameters by name.</summary>
    public IReadOnlyDictionary<string, double[]> Parameters => parameters;

    /// <summary>Teacher-forced loss (mean over counted target positions), correct count and every gradient.</summary>
    public ReferenceTrainingResult ForwardBackward(ReferenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var pass = Forward(batch);
        int rows = batch.TargetSteps * batch.BatchSize;
        int counted = batch.DecoderTargets.Count(t => t >= 0);
        double scale = 1.0 / Math.Max(counted, 1);
        var ce = ReferenceOps.SoftmaxCrossEntropy(pass.Logits, batch.DecoderTargets, rows, TargetVocab, scale);
        double loss = ce.RowLoss.Sum() * scale;
        double correct = ce.RowCorrect.Sum();

        var grads = parameters.ToDictionary(p => p.Key, p => new double[p.Value.Length]);
        int h = Hidden;
        int b = batch.BatchSize;

        // Output projection: logits = Y·Wout + bout, Y = top decoder states 1..Tt.
        var y = Concat(pass.Decoder[Layers - 1].H, 1, batch.TargetSteps);
        ReferenceOps.MatMul(y, ce.Gradient, null, grads["output.kernel"], h, TargetVocab, rows, transposeA: true, accumulate: true);
        ReferenceOps.ColumnSum(ce.Gradient, grads["output.bias"], rows, TargetVocab, accumulate: true);
        var dTop = new double[rows * h];
        ReferenceOps.MatMul(ce.Gradient, parameters["output.kernel"], null, dTop, rows, h, TargetVocab, transposeB: true);

        var carryH = new double[Layers][];
        var carryC = new double[Layers][];
        double[]? dExternal = dTop;
        for (int l = Layers - 1; l >= 0; l--)
        {
            var g = BackwardLayer("decoder", l, pass.Decoder, pass.DecoderInputs, batch.DecoderInputs, dExternal, null, null, batch.TargetMask, batch.TargetSteps, b, grads);
            carryH[l] = g.DhInitial;
            carryC[l] = g.DcInitial;
            dExternal = g.DInput;
        }

        dExternal = null;
        for (int l = Layers - 1; l >= 0; l--)
        {
            var g = BackwardLayer("encoder", l, pass.Encoder, pass.EncoderInputs, batch.SourceIds, dExternal, carryH[l], carryC[l], batch.SourceMask, batch.SourceSteps, b, grads);
            dExternal = g.DInput;
        }

        return new ReferenceTrainingResult(loss, correct, counted, grads);
    }

    /// <summary>Teacher-forced decoder logits [Tt, B, V].</summary>
    public double[] TeacherForcedLogits(ReferenceBatch batch) => Forward(batch ?? throw new ArgumentNullException(nameof(batch))).Logits;

    /// <summary>
    /// Greedy decoding of one source sentence: encode, then feed <paramref name="startId"/> and each argmax back until
    /// <paramref name="endId"/> or <paramref name="maxLength"/> tokens. Returns the tokens without START/END.
    /// </summary>
    public IReadOnlyList<int> GreedyDecode(int[] source, int startId, int endId, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(source);
        var encoder = new ReferenceBatch(source, null, [startId], [-1], null, source.Length, 1, 1);
        var states = EncoderFinalStates(encoder);
        var output = new List<int>();
        int token = startId;
        for (int step = 0; step < maxLength; step++)
        {
            var logits = DecoderStep(token, states);
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

    /// <summary>The encoder's final (h, c) per layer for a batch (the decoder's initial state).</summary>
    public (double[] H, double[] C)[] EncoderFinalStates(ReferenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var encoder = RunSide("encoder", batch.SourceIds, batch.SourceMask, batch.SourceSteps, batch.BatchSize, null, out _);
        return encoder.Select(s => (s.H[^1], s.C[^1])).ToArray();
    }

    /// <summary>One decoder step for a batch of one: advances <paramref name="states"/> in place and returns the logits [V].</summary>
    public double[] DecoderStep(int token, (double[] H, double[] C)[] states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var input = InputProjection("decoder", [token], 1);
        double[] top = [];
        for (int l = 0; l < Layers; l++)
        {
            var x = l == 0 ? input : Project("decoder", l, top, 1);
            var seq = ReferenceLstm.Forward(x, parameters[$"decoder.lstm.{l}.recurrent_kernel"], states[l].H, states[l].C, null, 1, 1, Hidden);
            states[l] = (seq.H[1], seq.C[1]);
            top = seq.H[1];
        }

        var logits = new double[TargetVocab];
        ReferenceOps.MatMul(top, parameters["output.kernel"], parameters["output.bias"], logits, 1, TargetVocab, Hidden);
        return logits;
    }

    private ForwardPass Forward(ReferenceBatch batch)
    {
        var encoder = RunSide("encoder", batch.SourceIds, batch.SourceMask, batch.SourceSteps, batch.BatchSize, null, out var encoderInputs);
        var initial = encoder.Select(s => (s.H[^1], s.C[^1])).ToArray();
        var decoder = RunSide("decoder", batch.DecoderInputs, batch.TargetMask, batch.TargetSteps, batch.BatchSize, initial, out var decoderInputs);
        int rows = batch.TargetSteps * batch.BatchSize;
        var logits = new double[rows * TargetVocab];
        ReferenceOps.MatMul(Concat(decoder[Layers - 1].H, 1, batch.TargetSteps), parameters["output.kernel"], parameters["output.bias"], logits, rows, TargetVocab, Hidden);
        return new ForwardPass(encoder, encoderInputs, decoder, decoderInputs, logits);
    }

    private LstmSequence[] RunSide(string side, int[] ids, int[]? mask, int steps, int batch, (double[] H, double[] C)[]? initial, out double[][] layerInputs)
    {
        var sequences = new LstmSequence[Layers];
        layerInputs = new double[Layers][];
        for (int l = 0; l < Layers; l++)
        {
            double[] xProj;
            if (l == 0)
            {
                xProj = InputProjection(side, ids, batch * steps);
                layerInputs[l] = Embedding > 0 ? ReferenceOps.Gather(ids, parameters[$"{side}.embedding"], null, Embedding) : [];
            }
            else
            {
                layerInputs[l] = Concat(sequences[l - 1].H, 1, steps);
                xProj = Project(side, l, layerInputs[l], steps * batch);
            }

            var h0 = initial?[l].H ?? new double[batch * Hidden];
            var c0 = initial?[l].C ?? new double[batch * Hidden];
            sequences[l] = ReferenceLstm.Forward(xProj, parameters[$"{side}.lstm.{l}.recurrent_kernel"], h0, c0, mask, steps, batch, Hidden);
        }

        return sequences;
    }

    private double[] InputProjection(string side, int[] ids, int rows)
    {
        var bias = parameters[$"{side}.lstm.0.bias"];
        if (Embedding == 0)
        {
            return ReferenceOps.Gather(ids, parameters[$"{side}.lstm.0.kernel"], bias, 4 * Hidden);
        }

        var x = ReferenceOps.Gather(ids, parameters[$"{side}.embedding"], null, Embedding);
        var z = new double[rows * 4 * Hidden];
        ReferenceOps.MatMul(x, parameters[$"{side}.lstm.0.kernel"], bias, z, rows, 4 * Hidden, Embedding);
        return z;
    }

    private double[] Project(string side, int layer, double[] x, int rows)
    {
        var z = new double[rows * 4 * Hidden];
        ReferenceOps.MatMul(x, parameters[$"{side}.lstm.{layer}.kernel"], parameters[$"{side}.lstm.{layer}.bias"], z, rows, 4 * Hidden, Hidden);
        return z;
    }

    private LayerGradients BackwardLayer(
        string side, int l, LstmSequence[] sequences, double[][] layerInputs, int[] ids, double[]? dExternal,
        double[]? dhFinal, double[]? dcFinal, int[]? mask, int steps, int batch, Dictionary<string, double[]> grads)
    {
        string prefix = $"{side}.lstm.{l}";
        int gates = 4 * Hidden;
        int rows = steps * batch;
        var g = ReferenceLstm.Backward(sequences[l], parameters[$"{prefix}.recurrent_kernel"], dExternal, dhFinal, dcFinal, mask, batch, Hidden);
        Add(grads[$"{prefix}.recurrent_kernel"], g.DRecurrent);
        ReferenceOps.ColumnSum(g.DGates, grads[$"{prefix}.bias"], rows, gates, accumulate: true);
        double[]? dInput = null;
        if (l == 0 && Embedding == 0)
        {
            ReferenceOps.ScatterAdd(ids, g.DGates, grads[$"{prefix}.kernel"], gates);
        }
        else
        {
            int width = l == 0 ? Embedding : Hidden;
            ReferenceOps.MatMul(layerInputs[l], g.DGates, null, grads[$"{prefix}.kernel"], width, gates, rows, transposeA: true, accumulate: true);
            dInput = new double[rows * width];
            ReferenceOps.MatMul(g.DGates, parameters[$"{prefix}.kernel"], null, dInput, rows, width, gates, transposeB: true);
            if (l == 0)
            {
                ReferenceOps.ScatterAdd(ids, dInput, grads[$"{side}.embedding"], Embedding);
                dInput = null;
            }
        }

        return new LayerGradients(g.DhInitial, g.DcInitial, dInput);
    }

    private static double[] Concat(double[][] states, int from, int count) => states.Skip(from).Take(count).SelectMany(s => s).ToArray();

    private static void Add(double[] target, double[] source)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += source[i];
        }
    }

    private sealed record ForwardPass(LstmSequence[] Encoder, double[][] EncoderInputs, LstmSequence[] Decoder, double[][] DecoderInputs, double[] Logits);

    private sealed record LayerGradients(double[] DhInitial, double[] DcInitial, double[]? DInput);
}
