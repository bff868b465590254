namespace Seq2Seq.Gpu.Numerics;

/// <summary>The one spelling of <see cref="WeightPrecision"/> on the command line and in reports: <c>fp32</c>, <c>bf16</c>.</summary>
internal static class WeightPrecisions
{
    /// <summary>The names accepted, in order, for messages.</summary>
    public const string Expected = "fp32 or bf16";

    /// <summary>The short name of <paramref name="precision"/> (<c>fp32</c>, <c>bf16</c>).</summary>
    public static string Name(this WeightPrecision precision) => precision switch
    {
        WeightPrecision.Fp32 => "fp32",
        WeightPrecision.Bf16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown weight precision"),
    };

    /// <summary>Parses a short name, case-insensitively; false for anything else.</summary>
    public static bool TryParse(string? text, out WeightPrecision precision)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "fp32":
                precision = WeightPrecision.Fp32;
                return true;
            case "bf16":
                precision = WeightPrecision.Bf16;
                return true;
            default:
                precision = WeightPrecision.Fp32;
                return false;
        }
    }
}
