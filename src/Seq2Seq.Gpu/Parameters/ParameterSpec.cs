namespace Seq2Seq.Gpu.Parameters;

/// <summary>One named tensor inside the parameter buffer.</summary>
/// <param name="Name">Name as in checkpoints, e.g. <c>decoder.lstm.0.kernel</c>.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Offset">First element in the buffer.</param>
/// <param name="Init">How it is initialised.</param>
internal sealed record ParameterSpec(string Name, IReadOnlyList<int> Shape, long Offset, ParameterInit Init)
{
    /// <summary>Number of elements (the product of the shape).</summary>
    public long Count => Shape.Aggregate(1L, (product, dim) => product * dim);

    /// <summary>One past the last element.</summary>
    public long End => Offset + Count;

    /// <summary>The shape as text, e.g. <c>[71, 1024]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
