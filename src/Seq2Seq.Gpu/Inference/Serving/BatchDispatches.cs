namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>The one spelling of <see cref="BatchDispatch"/> outside the code: <c>adaptive</c>, <c>full-or-delay</c>, as the command line takes it and <c>/health</c> reports it.</summary>
public static class BatchDispatches
{
    private static readonly string[] Spellings = ["adaptive", "full-or-delay"];

    /// <summary>Every name, in enum order.</summary>
    public static IReadOnlyList<string> Names => Spellings;

    /// <summary>The name of <paramref name="dispatch"/>.</summary>
    public static string Name(this BatchDispatch dispatch) =>
        Enum.IsDefined(dispatch) ? Spellings[(int)dispatch] : throw new ArgumentOutOfRangeException(nameof(dispatch), dispatch, "unknown batch dispatch");

    /// <summary>The policy called <paramref name="name"/>, or false for anything else (null included).</summary>
    public static bool TryParse(string? name, out BatchDispatch dispatch)
    {
        int index = Array.IndexOf(Spellings, name);
        dispatch = (BatchDispatch)Math.Max(index, 0);
        return index >= 0;
    }
}
