namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// Luong global attention in plain C# and double precision, row by row as the paper writes it: for decoder state q and
/// encoder outputs ē_s of the same sentence, <c>score_s = q·ē_s</c> (dot) or <c>q·(ē_s·W_a)</c> (general), weights
/// <c>a = softmax(score)</c> over the positions the source mask keeps, context <c>c = Σ_s a_s ē_s</c>, attentional state
/// <c>h̃ = tanh([c; q]·W_c)</c> with W_c [2H, H] (rows 0..H-1 for c, H..2H-1 for q). No input feeding.
/// </summary>
/// <param name="kind"><see cref="ReferenceArchitecture.DotAttention"/> or <see cref="ReferenceArchitecture.GeneralAttention"/>.</param>
/// <param name="hidden">H.</param>
public sealed class ReferenceAttention(string kind, int hidden)
{
    /// <summary>Whether the scores go through W_a.</summary>
    public bool General { get; } = kind switch
    {
        ReferenceArchitecture.DotAttention => false,
        ReferenceArchitecture.GeneralAttention => true,
        _ => throw new ArgumentException($"Unknown attention '{kind}'.", nameof(kind)),
    };

    /// <summary>Attends for queries [Tq, B, H] over memory [Ts, B, H]; <paramref name="scoreKernel"/> is W_a (general only).</summary>
    public ReferenceAttentionPass Forward(double[] queries, double[] memory, int[]? mask, double[]? scoreKernel, double[] combineKernel, int querySteps, int sourceSteps, int batch)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(combineKernel);
        int h = hidden;
        var keys = memory;
        if (General)
        {
            keys = new double[memory.Length];
            ReferenceOps.MatMul(memory, scoreKernel ?? throw new ArgumentNullException(nameof(scoreKernel)), null, keys, sourceSteps * batch, h, h);
        }

        var weights = new double[querySteps * batch * sourceSteps];
        var context = new double[querySteps * batch * h];
        var attentional = new double[querySteps * batch * h];
        for (int t = 0; t < querySteps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (t * batch) + b;
                var scores = new double[sourceSteps];
                double max = double.NegativeInfinity;
                for (int s = 0; s < sourceSteps; s++)
                {
                    if (!Kept(mask, s, b, batch))
                    {
                        continue;
                    }

                    for (int j = 0; j < h; j++)
                    {
                        scores[s] += queries[(row * h) + j] * keys[(((s * batch) + b) * h) + j];
                    }

                    max = Math.Max(max, scores[s]);
                }

                double sum = 0;
                for (int s = 0; s < sourceSteps; s++)
                {
                    sum += Kept(mask, s, b, batch) ? Math.Exp(scores[s] - max) : 0;
                }

                for (int s = 0; s < sourceSteps; s++)
                {
                    double a = Kept(mask, s, b, batch) ? Math.Exp(scores[s] - max) / sum : 0;
                    weights[(row * sourceSteps) + s] = a;
                    for (int j = 0; j < h; j++)
                    {
                        context[(row * h) + j] += a * memory[(((s * batch) + b) * h) + j];
                    }
                }

                for (int j = 0; j < h; j++)
                {
                    double pre = 0;
                    for (int i = 0; i < h; i++)
                    {
                        pre += (context[(row * h) + i] * combineKernel[(i * h) + j]) + (queries[(row * h) + i] * combineKernel[((h + i) * h) + j]);
                    }

                    attentional[(row * h) + j] = Math.Tanh(pre);
                }
            }
        }

        return new ReferenceAttentionPass(queries, memory, keys, mask, weights, context, attentional, querySteps, sourceSteps, batch);
    }

    /// <summary>
    /// Back-propagates from the gradient into h̃ [Tq, B, H]: adds into <paramref name="dCombineKernel"/> (and
    /// <paramref name="dScoreKernel"/>, general only) and returns the gradients into the queries [Tq, B, H] and the memory [Ts, B, H].
    /// </summary>
    public (double[] DQueries, double[] DMemory) Backward(
        ReferenceAttentionPass pass, double[] dAttentional, double[]? scoreKernel, double[] combineKernel, double[]? dScoreKernel, double[] dCombineKernel)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(dAttentional);
        ArgumentNullException.ThrowIfNull(combineKernel);
        ArgumentNullException.ThrowIfNull(dCombineKernel);
        int h = hidden, batch = pass.Batch, ts = pass.SourceSteps;
        var dQueries = new double[pass.Queries.Length];
        var dMemory = new double[pass.Memory.Length];
        var dKeys = new double[pass.Memory.Length];
        for (int t = 0; t < pass.QuerySteps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (t * batch) + b;

                // Through the tanh and W_c.
                var dPre = new double[h];
                for (int j = 0; j < h; j++)
                {
                    double y = pass.Attentional[(row * h) + j];
                    dPre[j] = dAttentional[(row * h) + j] * (1 - (y * y));
                }

                var dContext = new double[h];
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < h; j++)
                    {
                        dCombineKernel[(i * h) + j] += pass.Context[(row * h) + i] * dPre[j];
                        dCombineKernel[((h + i) * h) + j] += pass.Queries[(row * h) + i] * dPre[j];
                        dContext[i] += combineKernel[(i * h) + j] * dPre[j];
                        dQueries[(row * h) + i] += combineKernel[((h + i) * h) + j] * dPre[j];
                    }
                }

                // Through the context into the weights and the memory, then through the softmax into the scores.
                var dWeights = new double[ts];
                double weighted = 0;
                for (int s = 0; s < ts; s++)
                {
                    double a = pass.Weights[(row * ts) + s];
                    for (int j = 0; j < h; j++)
                    {
                        int m = (((s * batch) + b) * h) + j;
                        dWeights[s] += dContext[j] * pass.Memory[m];
                        dMemory[m] += a * dContext[j];
                    }

                    weighted += a * dWeights[s];
                }

                for (int s = 0; s < ts; s++)
                {
                    double dScore = pass.Weights[(row * ts) + s] * (dWeights[s] - weighted);
                    for (int j = 0; j < h; j++)
                    {
                        int k = (((s * batch) + b) * h) + j;
                        dQueries[(row * h) + j] += dScore * pass.Keys[k];
                        dKeys[k] += dScore * pass.Queries[(row * h) + j];
                    }
                }
            }
        }

        if (!General)
        {
            for (int i = 0; i < dMemory.Length; i++)
            {
                dMemory[i] += dKeys[i];
            }

            return (dQueries, dMemory);
        }

        ArgumentNullException.ThrowIfNull(scoreKernel);
        ArgumentNullException.ThrowIfNull(dScoreKernel);
        int rows = ts * batch;
        ReferenceOps.MatMul(pass.Memory, dKeys, null, dScoreKernel, h, h, rows, transposeA: true, accumulate: true);
        ReferenceOps.MatMul(dKeys, scoreKernel, null, dMemory, rows, h, h, transposeB: true, accumulate: true);
        return (dQueries, dMemory);
    }

    private static bool Kept(int[]? mask, int s, int b, int batch) => mask is null || mask[(s * batch) + b] != 0;
}
