namespace Seq2Seq.Gpu.Interop.Keras;

/// <summary>One weight array of a Keras layer, row-major as Keras stores it.</summary>
/// <param name="Name">Where it was read from, for error messages (e.g. <c>model_weights/lstm/lstm/kernel:0</c>).</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Values">Its values, converted to float.</param>
internal sealed record KerasWeight(string Name, int[] Shape, float[] Values);
