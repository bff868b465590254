using System.Globalization;
using System.Text;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.IO;

namespace Seq2Seq.Gpu.Training.Reporting;

/// <summary>
/// A CSV log of per-epoch training metrics, one line per epoch after a header line:
/// <c>epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,tokens_per_second,seconds,learning_rate</c>.
/// </summary>
/// <remarks>
/// Numbers use the invariant culture and the shortest text that round-trips (<c>"R"</c>), so reading a log gives back
/// the exact doubles; a missing validation value is an empty field; lines end with <c>\n</c>; the file is UTF-8
/// without a byte order mark. NaN and infinities, should training diverge, are written as <c>NaN</c>,
/// <c>Infinity</c> and <c>-Infinity</c> and read back. Every write, <see cref="Append"/> included, is atomic
/// (temporary file, flush, rename), so a crash never leaves a half-written line.
/// </remarks>
internal static class MetricsLog
{
    /// <summary>The header line of the CSV (without the line end).</summary>
    public const string Header =
        "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,tokens_per_second,seconds,learning_rate";

    private const int FieldCount = 8;

    /// <summary>Formats the epochs as CSV text, header first.</summary>
    /// <param name="epochs">The epochs, in the order to write them.</param>
    public static string ToCsv(IEnumerable<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var builder = new StringBuilder(Header).Append('\n');
        foreach (EpochMetrics epoch in epochs)
        {
            ArgumentNullException.ThrowIfNull(epoch, nameof(epochs));
            AppendLine(builder, epoch);
        }

        return builder.ToString();
    }

    /// <summary>Writes (or replaces) the log at <paramref name="path"/> with <paramref name="epochs"/>, atomically.</summary>
    /// <param name="path">The CSV file; its folder must exist.</param>
    /// <param name="epochs">The epochs, in order.</param>
    /// <exception cref="Seq2SeqException">The file cannot be written; the message names it.</exception>
    public static void Write(string path, IEnumerable<EpochMetrics> epochs)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteText(path, ToCsv(epochs));
    }

    /// <summary>
    /// Adds one epoch at the end of the log, creating the file with its header when it does not exist or is empty.
    /// The file is rewritten atomically, so an interrupted append leaves the previous log intact.
    /// </summary>
    /// <param name="path">The CSV file; its folder must exist.</param>
    /// <param name="epoch">The epoch to add.</param>
    /// <exception cref="DataFormatException">The existing file is not a metrics log (its first line is not <see cref="Header"/>).</exception>
    /// <exception cref="Seq2SeqException">The file cannot be read or written; the message names it.</exception>
    public static void Append(string path, EpochMetrics epoch)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(epoch);
        string existing;
        try
        {
            existing = File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : string.Empty;
        }
        catch (IOException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot read the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot read the file: {e.Message}", e);
        }

        var builder = new StringBuilder(existing);
        if (existing.Length == 0)
        {
            builder.Append(Header).Append('\n');
        }
        else
        {
            string firstLine = existing.Split('\n', 2)[0].TrimEnd('\r');
            if (firstLine != Header)
            {
                throw new DataFormatException(
                    $"metrics log '{path}', line 1: the header is '{firstLine}', expected '{Header}'; not appending to another kind of file.");
            }

            if (!existing.EndsWith('\n'))
            {
                builder.Append('\n');
            }
        }

        AppendLine(builder, epoch);
        WriteText(path, builder.ToString());
    }

    /// <summary>Reads a log written by <see cref="Write"/> or <see cref="Append"/>.</summary>
    /// <param name="path">The CSV file.</param>
    /// <returns>The epochs in file order.</returns>
    /// <exception cref="DataFormatException">The file is not a valid metrics log; the message names the file and the line.</exception>
    /// <exception cref="Seq2SeqException">The file cannot be read.</exception>
    public static IReadOnlyList<EpochMetrics> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (IOException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot read the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot read the file: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses CSV text in the format of <see cref="ToCsv"/>.</summary>
    /// <param name="csv">The text, header first. <c>\r\n</c> line ends and a missing final line end are accepted.</param>
    /// <param name="sourceName">What to call the text in error messages (a file name).</param>
    /// <exception cref="DataFormatException">The text is not a valid metrics log; the message names the source and the line.</exception>
    public static IReadOnlyList<EpochMetrics> Parse(string csv, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(sourceName);
        string[] lines = csv.Split('\n');
        string header = lines[0].TrimEnd('\r').TrimStart('\uFEFF');
        if (header != Header)
        {
            throw new DataFormatException($"metrics log '{sourceName}', line 1: the header is '{header}', expected '{Header}'.");
        }

        var epochs = new List<EpochMetrics>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                if (lines.Skip(i + 1).Any(l => l.TrimEnd('\r').Length > 0))
                {
                    throw new DataFormatException($"metrics log '{sourceName}', line {i + 1}: empty line.");
                }

                break;
            }

            epochs.Add(ParseLine(line, sourceName, i + 1));
        }

        return epochs;
    }

    private static EpochMetrics ParseLine(string line, string source, int lineNumber)
    {
        string[] fields = line.Split(',');
        if (fields.Length != FieldCount)
        {
            throw new DataFormatException(
                $"metrics log '{source}', line {lineNumber}: {fields.Length} fields, expected {FieldCount}.");
        }

        if (!int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch))
        {
            throw new DataFormatException($"metrics log '{source}', line {lineNumber}: epoch '{fields[0]}' is not an integer.");
        }

        double Required(int index) =>
            ParseNumber(fields[index], index, source, lineNumber)
            ?? throw new DataFormatException($"metrics log '{source}', line {lineNumber}: {ColumnName(index)} is empty.");

        return new EpochMetrics(
            epoch,
            Required(1),
            Required(2),
            ParseNumber(fields[3], 3, source, lineNumber),
            ParseNumber(fields[4], 4, source, lineNumber),
            Required(5),
            Required(6),
            Required(7));
    }

    private static double? ParseNumber(string field, int index, string source, int lineNumber)
    {
        if (field.Length == 0)
        {
            return null;
        }

        if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new DataFormatException(
                $"metrics log '{source}', line {lineNumber}: {ColumnName(index)} '{field}' is not a number.");
        }

        return value;
    }

    private static string ColumnName(int index) => Header.Split(',')[index];

    private static void AppendLine(StringBuilder builder, EpochMetrics epoch)
    {
        builder.Append(epoch.Epoch.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(Format(epoch.TrainLoss)).Append(',')
            .Append(Format(epoch.TrainAccuracy)).Append(',')
            .Append(Format(epoch.ValidationLoss)).Append(',')
            .Append(Format(epoch.ValidationAccuracy)).Append(',')
            .Append(Format(epoch.TokensPerSecond)).Append(',')
            .Append(Format(epoch.Seconds)).Append(',')
            .Append(Format(epoch.LearningRate)).Append('\n');
    }

    private static string Format(double? value) =>
        value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static void WriteText(string path, string text)
    {
        try
        {
            AtomicFile.WriteAllText(path, text);
        }
        catch (IOException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot write the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new Seq2SeqException($"metrics log '{path}': cannot write the file: {e.Message}", e);
        }
    }
}
