namespace Seq2Seq.Cli.Output;

/// <summary>A plain-text table with left-aligned columns, for listings such as <c>seq2seq devices</c>.</summary>
internal sealed class TextTable
{
    private readonly string[] header;
    private readonly List<string[]> rows = [];

    /// <summary>Creates a table with these column headings.</summary>
    public TextTable(params string[] header)
    {
        this.header = header;
    }

    /// <summary>Adds a row (one cell per column).</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != header.Length)
        {
            throw new ArgumentException($"a row needs {header.Length} cells, not {cells.Length}", nameof(cells));
        }

        rows.Add(cells);
    }

    /// <summary>Writes the heading and the rows, columns padded to their widest cell.</summary>
    public void Write(TextWriter output, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(output);
        int[] widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        WriteRow(output, indent, header, widths);
        foreach (string[] row in rows)
        {
            WriteRow(output, indent, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, string indent, string[] cells, int[] widths)
    {
        var parts = cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]));
        output.WriteLine((indent + string.Join("  ", parts)).TrimEnd());
    }
}
