using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Parameters;

/// <summary>
/// Where every parameter of a model lives in its one contiguous buffer: an ordered list of named tensors laid end
/// to end. The gradient buffer and every optimizer-state buffer use the same layout, so element e of each belongs
/// to the same parameter and an optimizer step is one launch over the whole buffer.
/// </summary>
internal sealed class ParameterLayout
{
    /// <summary>Parameters start at multiples of this many floats (64 bytes), so every tensor is aligned for vector loads.</summary>
    public const int Alignment = 16;

    private readonly Dictionary<string, ParameterSpec> byName;

    private ParameterLayout(IReadOnlyList<ParameterSpec> parameters, long totalCount)
    {
        Parameters = parameters;
        TotalCount = totalCount;
        byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>The parameters in buffer order.</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Length of the buffer in floats (including alignment padding).</summary>
    public long TotalCount { get; }

    /// <summary>Builds a layout from (name, shape, init) triples, in order.</summary>
    public static ParameterLayout Create(IEnumerable<(string Name, int[] Shape, ParameterInit Init)> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var specs = new List<ParameterSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, shape, init) in parameters)
        {
            if (string.IsNullOrWhiteSpace(name) || !seen.Add(name))
            {
                throw new ShapeException($"parameter layout: name '{name}' is empty or used twice");
            }

            if (shape.Length == 0 || shape.Any(d => d <= 0))
            {
                throw new ShapeException($"parameter layout: '{name}' has an invalid shape [{string.Join(", ", shape)}]");
            }

            var spec = new ParameterSpec(name, shape.ToArray(), offset, init);
            specs.Add(spec);
            offset = (spec.End + Alignment - 1) / Alignment * Alignment;
        }

        if (offset > int.MaxValue)
        {
            throw new ShapeException($"parameter layout: {offset:N0} parameters exceed the 2^31 elements one buffer can index");
        }

        return new ParameterLayout(specs, offset);
    }

    /// <summary>The parameter called <paramref name="name"/>, or a <see cref="ShapeException"/> listing the names there are.</summary>
    public ParameterSpec this[string name] =>
        byName.TryGetValue(name, out var spec)
            ? spec
            : throw new ShapeException($"no parameter named '{name}'; the layout has: {string.Join(", ", byName.Keys)}");

    /// <summary>Whether a parameter of that name exists.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);
}
