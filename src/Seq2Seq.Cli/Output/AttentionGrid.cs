namespace Seq2Seq.Cli.Output;

/// <summary>
/// Attention weights [target, source] as an aligned text grid: a header of source tokens, then a row per target token,
/// each cell the weight in percent (blank below 1 %, so the alignment stands out), the row's largest marked with '*'.
/// Whitespace tokens are shown as '␣' so character-level columns stay readable.
/// </summary>
internal static class AttentionGrid
{
    public static void Write(TextWriter output, IReadOnlyList<string> sourceTokens, IReadOnlyList<string> targetTokens, IReadOnlyList<float[]> weights)
    {
        var sources = sourceTokens.Select(Visible).ToList();
        var targets = targetTokens.Select(Visible).ToList();
        int label = Math.Max(1, targets.Count == 0 ? 1 : targets.Max(t => t.Length));
        var widths = sources.Select(s => Math.Max(4, s.Length + 1)).ToList();
        output.Write(new string(' ', label));
        for (int s = 0; s < sources.Count; s++)
        {
            output.Write(sources[s].PadLeft(widths[s]));
        }

        output.WriteLine();
        for (int t = 0; t < targets.Count && t < weights.Count; t++)
        {
            var row = weights[t];
            int best = row.Length == 0 ? -1 : Array.IndexOf(row, row.Max());
            output.Write(targets[t].PadRight(label));
            for (int s = 0; s < sources.Count && s < row.Length; s++)
            {
                int percent = (int)Math.Round(row[s] * 100, MidpointRounding.AwayFromZero);
                string cell = percent < 1 ? string.Empty : percent.ToString(System.Globalization.CultureInfo.InvariantCulture) + (s == best ? "*" : string.Empty);
                output.Write(cell.PadLeft(widths[s]));
            }

            output.WriteLine();
        }
    }

    private static string Visible(string token) => string.IsNullOrWhiteSpace(token) ? "␣" : token;
}
