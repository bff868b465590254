using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Parameters;

/// <summary>
/// Seeded Keras-default initial values, computed on the host (once per model) in double and rounded to float.
/// Each parameter draws from its own generator, seeded from the model seed and the parameter's name, so adding a
/// parameter never changes the values of the others.
/// </summary>
internal static class WeightInitializer
{
    /// <summary>Limit of Keras' embedding initializer (uniform ±0.05).</summary>
    public const double EmbeddingLimit = 0.05;

    /// <summary>Initial values of one parameter for a given model seed.</summary>
    public static float[] Create(ParameterSpec spec, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var random = new DeterministicRandom(DeterministicRandom.DeriveSeed(seed, spec.Name));
        var values = new float[spec.Count];
        int rows = spec.Shape[0];
        int cols = (int)(spec.Count / rows);
        switch (spec.Init)
        {
            case ParameterInit.Zeros:
                break;
            case ParameterInit.GlorotUniform:
                Fill(values, random, Math.Sqrt(6.0 / (rows + cols)));
                break;
            case ParameterInit.EmbeddingUniform:
                Fill(values, random, EmbeddingLimit);
                break;
            case ParameterInit.Orthogonal:
                Orthogonal(values, rows, cols, random);
                break;
            case ParameterInit.LstmBias:
                int hidden = values.Length / LstmGates.Count;
                Array.Fill(values, 1f, LstmGates.Forget * hidden, hidden);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Init, "unknown initializer");
        }

        return values;
    }

    private static void Fill(float[] values, DeterministicRandom random, double limit)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextUniform(-limit, limit);
        }
    }

    /// <summary>
    /// Keras' orthogonal initializer: QR of a normal (max × min) matrix, Q with the signs of diag(R), transposed when
    /// rows &lt; cols, so a [H, 4H] recurrent kernel gets orthonormal rows. Gram-Schmidt, run twice for accuracy.
    /// </summary>
    private static void Orthogonal(float[] values, int rows, int cols, DeterministicRandom random)
    {
        int tall = Math.Max(rows, cols);
        int narrow = Math.Min(rows, cols);
        var q = new double[narrow][];
        for (int j = 0; j < narrow; j++)
        {
            q[j] = new double[tall];
            for (int i = 0; i < tall; i++)
            {
                q[j][i] = random.NextNormal();
            }
        }

        for (int j = 0; j < narrow; j++)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < tall; i++)
                    {
                        dot += q[j][i] * q[p][i];
                    }

                    for (int i = 0; i < tall; i++)
                    {
                        q[j][i] -= dot * q[p][i];
                    }
                }
            }

            double norm = Math.Sqrt(q[j].Sum(x => x * x));
            for (int i = 0; i < tall; i++)
            {
                q[j][i] /= norm;
            }
        }

        // q[j] is column j of the tall (tall × narrow) factor; the result is that factor, or its transpose.
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                values[(r * cols) + c] = (float)(rows >= cols ? q[c][r] : q[r][c]);
            }
        }
    }
}
