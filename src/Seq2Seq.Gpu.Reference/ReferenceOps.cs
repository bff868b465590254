namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// The plain C# reference of every engine operation, in double precision, written for clarity rather than speed.
/// It is the spec the kernels are tested against; layouts are row-major and time-major as in the kernels
/// (gate order i, f, g, o inside every 4H block).
/// </summary>
public static class ReferenceOps
{
    /// <summary>Number of LSTM gates (i, f, g, o) in a 4H block.</summary>
    public const int Gates = 4;

    /// <summary><c>output[n, :] = table[ids[n], :] + bias</c>; table [V, width], bias [width] or null.</summary>
    public static double[] Gather(int[] ids, double[] table, double[]? bias, int width)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(table);
        var output = new double[ids.Length * width];
        for (int n = 0; n < ids.Length; n++)
        {
            for (int d = 0; d < width; d++)
            {
                output[(n * width) + d] = table[(ids[n] * width) + d] + (bias?[d] ?? 0.0);
            }
        }

        return output;
    }

    /// <summary><c>gradTable[ids[n], :] += gradOutput[n, :]</c> for every n (repeated ids add up).</summary>
    public static void ScatterAdd(int[] ids, double[] gradOutput, double[] gradTable, int width)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(gradOutput);
        ArgumentNullException.ThrowIfNull(gradTable);
        for (int n = 0; n < ids.Length; n++)
        {
            for (int d = 0; d < width; d++)
            {
                gradTable[(ids[n] * width) + d] += gradOutput[(n * width) + d];
            }
        }
    }

    /// <summary>
    /// <c>C[M, N] (=|+=) op(A)·op(B) + bias</c>; A is [M, K] or, transposed, [K, M]; B is [K, N] or, transposed, [N, K].
    /// </summary>
    public static void MatMul(
        double[] a, double[] b, double[]? bias, double[] c, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        for (int row = 0; row < m; row++)
        {
            for (int col = 0; col < n; col++)
            {
                double sum = bias?[col] ?? 0.0;
                for (int kk = 0; kk < k; kk++)
                {
                    double av = transposeA ? a[(kk * m) + row] : a[(row * k) + kk];
                    double bv = transposeB ? b[(col * k) + kk] : b[(kk * n) + col];
                    sum += av * bv;
                }

                c[(row * n) + col] = accumulate ? c[(row * n) + col] + sum : sum;
            }
        }
    }

    /// <summary><c>output[j] (=|+=) Σ_n input[n, j]</c>; input [rows, cols].</summary>
    public static void ColumnSum(double[] input, double[] output, int rows, int cols, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        for (int j = 0; j < cols; j++)
        {
            double sum = 0.0;
            for (int r = 0; r < rows; r++)
            {
                sum += input[(r * cols) + j];
            }

            output[j] = accumulate ? output[j] + sum : sum;
        }
    }

    /// <summary>Logistic sigmoid.</summary>
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>
    /// An LSTM's gate activation σ by name: <see cref="ReferenceArchitecture.Sigmoid"/>, or Keras' hard sigmoids
    /// <see cref="ReferenceArchitecture.HardSigmoidKeras2"/> <c>clip(0.2x + 0.5, 0, 1)</c> and
    /// <see cref="ReferenceArchitecture.HardSigmoidKeras3"/> <c>clip(x/6 + 0.5, 0, 1)</c>.
    /// </summary>
    public static double Gate(double x, string activation) => activation switch
    {
        ReferenceArchitecture.Sigmoid => Sigmoid(x),
        _ => Math.Clamp((HardSlope(activation) * x) + 0.5, 0.0, 1.0),
    };

    /// <summary>σ'(x) from y = σ(x): y(1 − y) for the sigmoid; a hard sigmoid's slope where 0 &lt; y &lt; 1, else 0.</summary>
    public static double GateDerivative(double y, string activation) => activation switch
    {
        ReferenceArchitecture.Sigmoid => y * (1 - y),
        _ => y > 0 && y < 1 ? HardSlope(activation) : 0.0,
    };

    private static double HardSlope(string activation) => activation switch
    {
        ReferenceArchitecture.HardSigmoidKeras2 => 0.2,
        ReferenceArchitecture.HardSigmoidKeras3 => 1.0 / 6.0,
        _ => throw new ArgumentException($"Unknown recurrent activation '{activation}'.", nameof(activation)),
    };

    /// <summary>
    /// One LSTM step. <paramref name="gates"/> [B, 4H] holds the pre-activations x·W + h·U + b; returns the
    /// activations (i, f, g, o) [B, 4H] and the new state; a row whose mask is 0 keeps (cPrev, hPrev). The i, f and o
    /// gates use <paramref name="activation"/> (see <see cref="Gate"/>).
    /// </summary>
    public static LstmStepResult LstmCellForward(double[] gates, double[] cPrev, double[] hPrev, int[]? mask, int batch, int hidden, string activation = ReferenceArchitecture.Sigmoid)
    {
        ArgumentNullException.ThrowIfNull(gates);
        ArgumentNullException.ThrowIfNull(cPrev);
        ArgumentNullException.ThrowIfNull(hPrev);
        var act = new double[batch * Gates * hidden];
        var c = new double[batch * hidden];
        var h = new double[batch * hidden];
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < hidden; j++)
            {
                int row = b * Gates * hidden;
                double i = Gate(gates[row + j], activation);
                double f = Gate(gates[row + hidden + j], activation);
                double g = Math.Tanh(gates[row + (2 * hidden) + j]);
                double o = Gate(gates[row + (3 * hidden) + j], activation);
                act[row + j] = i;
                act[row + hidden + j] = f;
                act[row + (2 * hidden) + j] = g;
                act[row + (3 * hidden) + j] = o;
                int e = (b * hidden) + j;
                if (mask is not null && mask[b] == 0)
                {
                    c[e] = cPrev[e];
                    h[e] = hPrev[e];
                }
                else
                {
                    c[e] = (f * cPrev[e]) + (i * g);
                    h[e] = o * Math.Tanh(c[e]);
                }
            }
        }

        return new LstmStepResult(act, c, h);
    }

    /// <summary>
    /// Back-propagates one LSTM step from dh (total gradient into h_t) and dc (gradient into c_t from step t+1).
    /// Returns dGates [B, 4H], dcPrev [B, H] and the part of dhPrev that bypasses U (dh for masked rows, else 0).
    /// </summary>
    public static LstmStepGradients LstmCellBackward(
        double[] activations, double[] cPrev, double[] cNext, double[] dh, double[] dc, int[]? mask, int batch, int hidden, string activation = ReferenceArchitecture.Sigmoid)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(cPrev);
        ArgumentNullException.ThrowIfNull(cNext);
        ArgumentNullException.ThrowIfNull(dh);
        ArgumentNullException.ThrowIfNull(dc);
        var dGates = new double[batch * Gates * hidden];
        var dcPrev = new double[batch * hidden];
        var dhBypass = new double[batch * hidden];
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < hidden; j++)
            {
                int e = (b * hidden) + j;
                if (mask is not null && mask[b] == 0)
                {
                    dcPrev[e] = dc[e];
                    dhBypass[e] = dh[e];
                    continue;
                }

                int row = b * Gates * hidden;
                double i = activations[row + j];
                double f = activations[row + hidden + j];
                double g = activations[row + (2 * hidden) + j];
                double o = activations[row + (3 * hidden) + j];
                double tc = Math.Tanh(cNext[e]);
                double dcTotal = dc[e] + (dh[e] * o * (1 - (tc * tc)));
                dGates[row + j] = dcTotal * g * GateDerivative(i, activation);
                dGates[row + hidden + j] = dcTotal * cPrev[e] * GateDerivative(f, activation);
                dGates[row + (2 * hidden) + j] = dcTotal * i * (1 - (g * g));
                dGates[row + (3 * hidden) + j] = dh[e] * tc * GateDerivative(o, activation);
                dcPrev[e] = dcTotal * f;
            }
        }

        return new LstmStepGradients(dGates, dcPrev, dhBypass);
    }

    /// <summary>
    /// Softmax cross-entropy of each row of logits [N, V] against targets [N] (negative = padding, ignored).
    /// Returns the per-row loss, per-row correctness (argmax == target) and the gradient (softmax - onehot)·scale.
    /// </summary>
    public static CrossEntropyResult SoftmaxCrossEntropy(double[] logits, int[] targets, int rows, int vocab, double scale)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        var loss = new double[rows];
        var correct = new double[rows];
        var grad = new double[rows * vocab];
        for (int n = 0; n < rows; n++)
        {
            int t = targets[n];
            if (t < 0)
            {
                continue;
            }

            var logProbs = LogSoftmaxRow(logits, n * vocab, vocab);
            loss[n] = -logProbs[t];
            correct[n] = ArgmaxRow(logits, n * vocab, vocab) == t ? 1 : 0;
            for (int v = 0; v < vocab; v++)
            {
                grad[(n * vocab) + v] = (Math.Exp(logProbs[v]) - (v == t ? 1 : 0)) * scale;
            }
        }

        return new CrossEntropyResult(loss, correct, grad);
    }

    /// <summary>Row-wise log-softmax of logits [N, V].</summary>
    public static double[] LogSoftmax(double[] logits, int rows, int vocab)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var output = new double[rows * vocab];
        for (int n = 0; n < rows; n++)
        {
            LogSoftmaxRow(logits, n * vocab, vocab).CopyTo(output, n * vocab);
        }

        return output;
    }

    /// <summary>Index of the largest value of each row of logits [N, V] (the first on ties).</summary>
    public static int[] Argmax(double[] logits, int rows, int vocab)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var ids = new int[rows];
        for (int n = 0; n < rows; n++)
        {
            ids[n] = ArgmaxRow(logits, n * vocab, vocab);
        }

        return ids;
    }

    /// <summary>RMSprop as Keras: v = ρv + (1-ρ)g²; w -= lr·g / (sqrt(v) + ε), with g scaled by gradScale first.</summary>
    public static void RmsProp(double[] w, double[] g, double[] v, double lr, double rho, double epsilon, double gradScale)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(v);
        for (int e = 0; e < w.Length; e++)
        {
            double ge = g[e] * gradScale;
            v[e] = (rho * v[e]) + ((1 - rho) * ge * ge);
            w[e] -= lr * ge / (Math.Sqrt(v[e]) + epsilon);
        }
    }

    /// <summary>
    /// Adam at step t (1-based) with Keras' bias correction: lr_t = lr·sqrt(1-β2^t)/(1-β1^t);
    /// w -= lr_t·m / (sqrt(v) + ε), with g scaled by gradScale first.
    /// </summary>
    public static void Adam(
        double[] w, double[] g, double[] m, double[] v, int step, double lr, double beta1, double beta2, double epsilon, double gradScale)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(v);
        double stepSize = lr * Math.Sqrt(1 - Math.Pow(beta2, step)) / (1 - Math.Pow(beta1, step));
        for (int e = 0; e < w.Length; e++)
        {
            double ge = g[e] * gradScale;
            m[e] = (beta1 * m[e]) + ((1 - beta1) * ge);
            v[e] = (beta2 * v[e]) + ((1 - beta2) * ge * ge);
            w[e] -= stepSize * m[e] / (Math.Sqrt(v[e]) + epsilon);
        }
    }

    /// <summary>
    /// Inverted dropout with a given mask: <c>x[e]·keep[e]/(1-rate)</c> (0 where dropped), a new array. The same
    /// function is the backward pass: the gradient of the dropped values times the same factors.
    /// </summary>
    public static double[] Dropout(double[] x, bool[] keep, double rate)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Length < x.Length)
        {
            throw new ArgumentException($"a mask of {keep.Length} elements for {x.Length} values", nameof(keep));
        }

        double scale = 1.0 / (1.0 - rate);
        var y = new double[x.Length];
        for (int e = 0; e < x.Length; e++)
        {
            y[e] = keep[e] ? x[e] * scale : 0.0;
        }

        return y;
    }

    /// <summary>Euclidean norm of a vector.</summary>
    public static double Norm(double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        double sum = 0;
        foreach (double v in x)
        {
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }

    private static double[] LogSoftmaxRow(double[] logits, int offset, int vocab)
    {
        double max = double.NegativeInfinity;
        for (int v = 0; v < vocab; v++)
        {
            max = Math.Max(max, logits[offset + v]);
        }

        double sum = 0;
        for (int v = 0; v < vocab; v++)
        {
            sum += Math.Exp(logits[offset + v] - max);
        }

        double shift = max + Math.Log(sum);
        var result = new double[vocab];
        for (int v = 0; v < vocab; v++)
        {
            result[v] = logits[offset + v] - shift;
        }

        return result;
    }

    private static int ArgmaxRow(double[] logits, int offset, int vocab)
    {
        int best = 0;
        for (int v = 1; v < vocab; v++)
        {
            if (logits[offset + v] > logits[offset + best])
            {
                best = v;
            }
        }

        return best;
    }
}
