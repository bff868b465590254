namespace Seq2Seq.Gpu.Models;

/// <summary>
/// The one spelling of <see cref="AttentionKind"/> outside the code: <c>none</c>, <c>dot</c>, <c>general</c>, as the
/// command line takes it and checkpoints store it.
/// </summary>
internal static class AttentionKinds
{
    /// <summary>Every name, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "dot", "general"];

    /// <summary>The name of <paramref name="kind"/>.</summary>
    public static string Name(this AttentionKind kind) => kind switch
    {
        AttentionKind.None => "none",
        AttentionKind.Dot => "dot",
        AttentionKind.General => "general",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown attention"),
    };

    /// <summary>The kind called <paramref name="name"/>, or false for anything else (null included).</summary>
    public static bool TryParse(string? name, out AttentionKind kind)
    {
        int index = name is null ? -1 : Names.ToList().IndexOf(name);
        kind = index < 0 ? AttentionKind.None : (AttentionKind)index;
        return index >= 0;
    }
}
