namespace Seq2Seq.Gpu.Reference;

/// <summary>The parameter names of one side (encoder or decoder) of the model.</summary>
/// <param name="Embedding">The embedding table [V, E], or null for one-hot inputs (layer 0's kernel is then [V, gates·H]).</param>
/// <param name="Layers">The stacked recurrent layers, bottom first.</param>
public sealed record ReferenceSideNames(string? Embedding, IReadOnlyList<ReferenceLayerNames> Layers);
