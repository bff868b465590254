using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Shape and flags of <c>C[M, N] (=|+=) op(A)[M, K] · op(B)[K, N] (+ bias[N])</c>. A is stored as [M, K], or as
/// [K, M] when <see cref="TransposeA"/> is 1; B as [K, N], or as [N, K] when <see cref="TransposeB"/> is 1.
/// All row-major and dense. Flags are ints (0 or 1) because kernel parameters must be blittable.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct MatMulShape : IEquatable<MatMulShape>
{
    /// <summary>Creates a shape.</summary>
    public MatMulShape(int m, int n, int k, bool transposeA = false, bool transposeB = false, bool accumulate = false, bool hasBias = false)
    {
        M = m;
        N = n;
        K = k;
        TransposeA = transposeA ? 1 : 0;
        TransposeB = transposeB ? 1 : 0;
        Accumulate = accumulate ? 1 : 0;
        HasBias = hasBias ? 1 : 0;
    }

    /// <summary>Rows of C and of op(A).</summary>
    public int M { get; }

    /// <summary>Columns of C and of op(B).</summary>
    public int N { get; }

    /// <summary>The reduced dimension.</summary>
    public int K { get; }

    /// <summary>1 when A is stored as [K, M].</summary>
    public int TransposeA { get; }

    /// <summary>1 when B is stored as [N, K].</summary>
    public int TransposeB { get; }

    /// <summary>1 to add the product into C (+=), 0 to assign it (=).</summary>
    public int Accumulate { get; }

    /// <summary>1 to add bias[n] to every row.</summary>
    public int HasBias { get; }

    /// <summary>Element (m, k) of op(A).</summary>
    public int IndexA(int m, int k) => TransposeA != 0 ? (k * M) + m : (m * K) + k;

    /// <summary>Element (k, n) of op(B).</summary>
    public int IndexB(int k, int n) => TransposeB != 0 ? (n * K) + k : (k * N) + n;

    /// <inheritdoc />
    public bool Equals(MatMulShape other) =>
        M == other.M && N == other.N && K == other.K && TransposeA == other.TransposeA &&
        TransposeB == other.TransposeB && Accumulate == other.Accumulate && HasBias == other.HasBias;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MatMulShape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(M, N, K, TransposeA, TransposeB, Accumulate, HasBias);

    /// <summary>Equality of shapes and flags.</summary>
    public static bool operator ==(MatMulShape left, MatMulShape right) => left.Equals(right);

    /// <summary>Inequality of shapes and flags.</summary>
    public static bool operator !=(MatMulShape left, MatMulShape right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        $"C[{M}x{N}] {(Accumulate != 0 ? "+=" : "=")} A{(TransposeA != 0 ? "ᵀ" : "")}·B{(TransposeB != 0 ? "ᵀ" : "")} (K={K}{(HasBias != 0 ? ", bias" : "")})";
}
