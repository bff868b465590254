using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// Translates with a model's own weight store: encode a batch of sentences once, then run the decoder one step at
/// a time on the device (greedy: argmax and feedback on the device, the host looking only at finished flags; beam
/// search: the logits of each step come back for ranking). There is no second copy of the weights, so after a
/// training step the same translator translates with the new weights; the one exception is
/// <see cref="DecodingOptions.Precision"/> <see cref="WeightPrecision.Bf16"/>, whose bfloat16 copy of the decoder's
/// matrices is made when the translator is created and again only after the weights change. Safe to call from
/// several threads: calls take the device in turn.
/// </summary>
public sealed class Translator : IDisposable
{
    private const int DefaultMaxLength = 100;
    private readonly DecodeWeights decodeWeights;
    private DecoderSession? session;
    private bool disposed;

    /// <summary>Creates a translator over a model (see also <see cref="Seq2SeqModelExtensions.CreateTranslator"/>).</summary>
    /// <exception cref="DeviceException">The device cannot hold the bfloat16 copies that <see cref="DecodingOptions.Precision"/> asks for.</exception>
    public Translator(Seq2SeqModel model, DecodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Options = options ?? new DecodingOptions();
        Options.Validate();
        using var scope = model.Device.EnterExclusive();
        decodeWeights = new DecodeWeights(model, Options.Precision);
    }

    /// <summary>The model translated with.</summary>
    public Seq2SeqModel Model { get; }

    /// <summary>The decoding options.</summary>
    public DecodingOptions Options { get; }

    /// <summary>The weight store read at every step: the model's own, not a copy.</summary>
    internal WeightStore Weights => Model.Weights;

    /// <summary>Most tokens produced per sentence, END excluded.</summary>
    public int MaxLength => Options.MaxLength ?? (Model.MaxTargetLength > 2 ? Model.MaxTargetLength - 2 : DefaultMaxLength);

    /// <summary>Most source tokens a sentence may have: the training maximum for Keras-compatible models (longer input is truncated), otherwise unlimited (0).</summary>
    public int MaxSourceLength => Model.Text.Scheme == VocabularyScheme.KerasCompatible ? Model.MaxSourceLength : 0;

    /// <summary>Most sentences decoded together in one device batch: <see cref="DecodingOptions.MaxBatch"/> rows, a sentence taking a row for greedy decoding and beam-width rows for beam search (at least one sentence).</summary>
    public int SentencesPerBatch => Options.BeamWidth == 1 ? Options.MaxBatch : Math.Max(1, Options.MaxBatch / Options.BeamWidth);

    /// <summary>Translates one sentence (the best hypothesis).</summary>
    /// <param name="source">The sentence.</param>
    /// <param name="cancellationToken">Checked between decoding steps (see <see cref="DecodeIds"/>).</param>
    public string Translate(string source, CancellationToken cancellationToken = default) => TranslateDetailed([source], cancellationToken)[0].Text;

    /// <summary>Translates many sentences, batched on the device; the results are in input order.</summary>
    /// <param name="sources">The sentences.</param>
    /// <param name="cancellationToken">Checked between decoding steps (see <see cref="DecodeIds"/>).</param>
    public IReadOnlyList<string> Translate(IReadOnlyList<string> sources, CancellationToken cancellationToken = default) =>
        TranslateDetailed(sources, cancellationToken).Select(t => t.Text).ToList();

    /// <summary>Translates many sentences and says which sources were truncated (and, for a model with attention, where each target token looked).</summary>
    /// <param name="sources">The sentences; the results are in the same order.</param>
    /// <param name="cancellationToken">Checked between decoding steps (see <see cref="DecodeIds"/>).</param>
    public IReadOnlyList<Translation> TranslateDetailed(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ObjectDisposedException.ThrowIf(disposed, this);
        var encoded = sources.Select(Encode).ToList();
        var decoded = Decode(encoded.Select(e => e.Ids).ToList(), cancellationToken);
        return decoded.Select((d, i) => new Translation(Model.Text.DecodeTarget(d.Tokens), d.Tokens, encoded[i].Truncated, d.Attention)).ToList();
    }

    /// <summary>Whether <paramref name="source"/> is longer than <see cref="MaxSourceLength"/>, so that translating it truncates it.</summary>
    public bool Truncates(string source) => Encode(source).Truncated;

    /// <summary>The <paramref name="count"/> best hypotheses of beam search for one sentence (count defaults to <see cref="DecodingOptions.NBest"/>).</summary>
    /// <param name="source">The sentence.</param>
    /// <param name="count">Hypotheses to return, 1 to the beam width.</param>
    /// <param name="cancellationToken">Checked before every step of the search.</param>
    public IReadOnlyList<Hypothesis> TranslateNBest(string source, int? count = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int n = count ?? Options.NBest;
        if (n < 1 || n > Options.BeamWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(count), n, $"n-best must be between 1 and the beam width {Options.BeamWidth}");
        }

        var ids = Encode(source).Ids;
        if (ids.Length == 0)
        {
            return [new Hypothesis([], 0, 0, true, Model.Config.HasAttention ? [] : null)];
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var scope = EnterDevice();
        return Search([ids], n, cancellationToken)[0];
    }

    /// <summary>Decodes source token ids to target token ids (no START/END), greedy or by beam search as the options say.</summary>
    /// <param name="sources">Source ids per sentence; the results are in the same order.</param>
    /// <param name="cancellationToken">
    /// Checked before each device batch and between decoding steps: a cancelled call throws
    /// <see cref="OperationCanceledException"/> within a step and leaves the translator usable. (A whole greedy decode that
    /// a GPU runs as one persistent launch is checked before and after it.)
    /// </param>
    public IReadOnlyList<IReadOnlyList<int>> DecodeIds(IReadOnlyList<int[]> sources, CancellationToken cancellationToken = default) =>
        Decode(sources, cancellationToken).Select(d => d.Tokens).ToList();

    /// <summary>Decodes source token ids; with attention, also each token's weights over its source's tokens.</summary>
    private (IReadOnlyList<int> Tokens, IReadOnlyList<float[]>? Attention)[] Decode(IReadOnlyList<int[]> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var results = new (IReadOnlyList<int>, IReadOnlyList<float[]>?)[sources.Count];
        var work = Enumerable.Range(0, sources.Count).Where(i => sources[i].Length > 0).ToList();
        foreach (int i in Enumerable.Range(0, sources.Count).Except(work))
        {
            results[i] = ([], Model.Config.HasAttention ? [] : null);
        }

        using var scope = EnterDevice();
        foreach (var part in work.Chunk(SentencesPerBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = part.Select(i => sources[i]).ToList();
            var decoded = Options.BeamWidth == 1 ? Greedy(ids, cancellationToken) : Search(ids, 1, cancellationToken).Select(h => (h[0].Tokens, h[0].Attention)).ToList();
            for (int j = 0; j < part.Length; j++)
            {
                results[part[j]] = decoded[j];
            }
        }

        return results;
    }

    /// <summary>
    /// The decoder's logits [Tt, B, V] when the step-by-step path is fed the batch's decoder inputs (teacher forcing
    /// through the inference loop): equal to the training pass's logits at every unmasked position.
    /// </summary>
    internal float[] StepByStepLogits(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = EnterDevice();
        var s = Session(batch.BatchSize, batch.SourceSteps);
        s.Start(batch, 1);
        int rows = batch.BatchSize;
        int vocab = Model.Config.TargetVocabSize;
        var all = new float[(long)batch.TargetSteps * rows * vocab];
        for (int t = 0; t < batch.TargetSteps; t++)
        {
            s.SetInputs(batch.DecoderInputIds.AsSpan(t * rows, rows));
            s.Step();
            s.ReadLogits().CopyTo(all, (long)t * rows * vocab);
        }

        return all;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Waits for a call in progress on another thread to finish (its kernels and host products read the buffers this
    /// frees); later calls throw <see cref="ObjectDisposedException"/>.
    /// </remarks>
    public void Dispose()
    {
        // Null once the device is disposed: it freed everything with its accelerator, and no call can be running on it.
        var scope = Model.Device.TryEnterExclusive();
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            session?.Dispose();
            session = null;
            decodeWeights.Dispose();
        }
        finally
        {
            scope?.Dispose();
        }
    }

    /// <summary>Takes the device for one call; a disposed translator refuses the call.</summary>
    private ExclusiveScope EnterDevice()
    {
        var scope = Model.Device.EnterExclusive();
        if (disposed)
        {
            scope.Dispose();
            throw new ObjectDisposedException(GetType().FullName);
        }

        return scope;
    }

    /// <summary>The device decoder of this translator as a scorer for <see cref="BeamSearch"/> (call it under the device's exclusive scope when sharing the device).</summary>
    internal IStepScorer CreateScorer()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new DeviceStepScorer(Model, Session, MaxSourceLength > 0 ? MaxSourceLength : null);
    }

    private (int[] Ids, bool Truncated) Encode(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var ids = Model.Text.EncodeSource(source);
        int limit = MaxSourceLength;
        return limit > 0 && ids.Length > limit ? (ids[..limit], true) : (ids, false);
    }

    private int? SourceSteps(IEnumerable<int[]> sources) => MaxSourceLength > 0 ? Math.Max(MaxSourceLength, sources.Max(s => s.Length)) : null;

    private List<(IReadOnlyList<int> Tokens, IReadOnlyList<float[]>? Attention)> Greedy(List<int[]> sources, CancellationToken cancellationToken)
    {
        var batch = Batch.Create(Model.Text, sources, sourceSteps: SourceSteps(sources));
        var s = Session(batch.BatchSize, batch.SourceSteps);
        s.Start(batch, 1);
        int end = Model.Text.TargetVocabulary.EndId;
        int max = MaxLength;
        var outputs = s.Greedy(max + 1, end, cancellationToken: cancellationToken);
        int rows = batch.BatchSize;
        int steps = outputs.Length / rows;
        var history = s.ReadAttentionHistory(steps);
        int positions = s.SourceSteps;
        var results = new List<(IReadOnlyList<int>, IReadOnlyList<float[]>?)>(rows);
        for (int b = 0; b < rows; b++)
        {
            var tokens = new List<int>();
            for (int t = 0; t < steps && tokens.Count < max; t++)
            {
                int token = outputs[(t * rows) + b];
                if (token == end)
                {
                    break;
                }

                tokens.Add(token);
            }

            // Row t of sentence b: its weights at step t over its own source tokens (the padding columns dropped).
            var attention = !s.HasAttention ? null : tokens.Select((_, t) => history.AsSpan((((t * rows) + b) * positions), sources[b].Length).ToArray()).ToList();
            results.Add((tokens, attention));
        }

        return results;
    }

    private List<IReadOnlyList<Hypothesis>> Search(List<int[]> sources, int nBest, CancellationToken cancellationToken)
    {
        var vocabulary = Model.Text.TargetVocabulary;
        var scorer = new DeviceStepScorer(Model, Session, SourceSteps(sources));
        var found = BeamSearch.Search(scorer, sources, Options.BeamWidth, nBest, vocabulary.StartId, vocabulary.EndId, MaxLength, Options.LengthPenalty, cancellationToken);

        // Each hypothesis's weights over its own source tokens (the padding columns dropped).
        return found.Select((list, i) => (IReadOnlyList<Hypothesis>)list
            .Select(h => h.Attention is null ? h : h with { Attention = h.Attention.Select(row => row[..sources[i].Length]).ToList() })
            .ToList()).ToList();
    }

    private DecoderSession Session(int rows, int sourceSteps)
    {
        if (rows < 1 || sourceSteps < 1)
        {
            throw new ShapeException($"cannot decode {rows} rows of {sourceSteps} source steps");
        }

        if (session is null || !session.Fits(rows, sourceSteps))
        {
            int maxRows = Math.Max(rows, session?.MaxRows ?? 0);
            int maxSteps = Math.Max(sourceSteps, session?.MaxSourceSteps ?? 0);
            session?.Dispose();
            session = null;
            session = new DecoderSession(Model, maxRows, maxSteps, decodeWeights);
        }

        return session;
    }
}
