using System.Globalization;
using System.Text;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Data;

/// <summary>
/// Reads a parallel corpus: UTF-8 text, one pair a line, <c>source&lt;TAB&gt;target</c>, optionally followed by more
/// tab-separated fields (the newer Tatoeba/manythings files add an attribution column, which is ignored).
/// </summary>
/// <remarks>
/// <para>Lines end with LF or CRLF; the last line may lack its line end. A UTF-8 byte order mark at the start is
/// ignored. Completely empty lines (anywhere in the file) are ignored and counted in
/// <see cref="CorpusReadResult.BlankLines"/>; they still count for line numbers.</para>
/// <para>The text of both sides is kept exactly as in the file (no trimming, no normalisation), as in the Keras
/// example. A bad line is one with no tab, an empty or all-white-space source or target, or bytes that are not
/// valid UTF-8; it raises a <see cref="DataFormatException"/> whose message starts with <c>file:line:</c>, unless
/// <see cref="CorpusReadOptions.SkipBadLines"/> is set.</para>
/// </remarks>
public static class CorpusReader
{
    private const int ChunkSize = 1 << 16;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads the corpus file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="options">How to read it; <see langword="null"/> means <see cref="CorpusReadOptions.Default"/>.</param>
    /// <returns>The pairs and an account of skipped lines.</returns>
    /// <exception cref="DataFormatException">The file is missing or unreadable, or has a bad line (without
    /// <see cref="CorpusReadOptions.SkipBadLines"/>).</exception>
    public static CorpusReadResult Read(string path, CorpusReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFormatException($"Corpus file '{Path.GetFullPath(path)}': no such file.", e);
        }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && Directory.Exists(path))
        {
            // Opening a folder fails with "Access to the path is denied", which sends the user after permissions.
            throw new DataFormatException($"'{Path.GetFullPath(path)}' is a folder, not a corpus file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"Corpus file '{path}' cannot be opened: {e.Message}", e);
        }

        using (stream)
        {
            return Read(stream, path, options);
        }
    }

    /// <summary>
    /// Reads a corpus from a stream of UTF-8 bytes (e.g. an embedded resource). The stream is read to the end (or
    /// until <see cref="CorpusReadOptions.MaxPairs"/> pairs are read) and is not disposed.
    /// </summary>
    /// <param name="stream">The UTF-8 bytes.</param>
    /// <param name="displayName">The name used in error messages in place of a file path.</param>
    /// <param name="options">How to read it; <see langword="null"/> means <see cref="CorpusReadOptions.Default"/>.</param>
    /// <returns>The pairs and an account of skipped lines.</returns>
    /// <exception cref="DataFormatException">A bad line (without <see cref="CorpusReadOptions.SkipBadLines"/>) or a
    /// read error.</exception>
    public static CorpusReadResult Read(Stream stream, string displayName, CorpusReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        return ReadCore(ReadByteLines(stream, displayName), displayName, options ?? CorpusReadOptions.Default);
    }

    /// <summary>
    /// Reads a corpus from text that is already decoded. The reader's own decoder decides how invalid bytes are
    /// treated; an unpaired UTF-16 surrogate in the text is a bad line. The reader is not disposed.
    /// </summary>
    /// <param name="reader">The text.</param>
    /// <param name="displayName">The name used in error messages in place of a file path.</param>
    /// <param name="options">How to read it; <see langword="null"/> means <see cref="CorpusReadOptions.Default"/>.</param>
    /// <returns>The pairs and an account of skipped lines.</returns>
    /// <exception cref="DataFormatException">A bad line (without <see cref="CorpusReadOptions.SkipBadLines"/>) or a
    /// read error.</exception>
    public static CorpusReadResult Read(TextReader reader, string displayName, CorpusReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(displayName);
        return ReadCore(ReadCharLines(reader, displayName), displayName, options ?? CorpusReadOptions.Default);
    }

    private static CorpusReadResult ReadCore(IEnumerable<RawLine> lines, string name, CorpusReadOptions options)
    {
        if (options.MaxPairs is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPairs, "MaxPairs must be null or at least 0.");
        }

        if (options.SkipPairs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SkipPairs, "SkipPairs must be at least 0.");
        }

        if (options.MaxLength is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, "MaxLength must be null or at least 1.");
        }

        if (options.MaxReportedSkippedLines < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxReportedSkippedLines, "MaxReportedSkippedLines must be at least 0.");
        }

        var pairs = new List<SentencePair>();
        var skippedDetails = new List<SkippedLine>();
        long linesRead = 0, blankLines = 0, skipped = 0, goodPairs = 0;
        long lineNumber = 0;
        int? maxPairs = options.MaxPairs;

        if (maxPairs == 0)
        {
            return new CorpusReadResult(name, pairs, 0, 0, 0, skippedDetails);
        }

        foreach (RawLine line in lines)
        {
            lineNumber++;
            linesRead++;
            string? reason = line.Error;
            SentencePair? pair = null;
            if (reason is null)
            {
                string text = line.Text!;
                if (text.Length == 0)
                {
                    blankLines++;
                    continue;
                }

                reason = ParseLine(text, out pair) ?? CheckLength(pair!, options);
            }

            if (reason is not null)
            {
                if (!options.SkipBadLines)
                {
                    throw new DataFormatException($"{name}:{lineNumber}: {reason} (to skip such lines, set CorpusReadOptions.SkipBadLines, or give --skip-bad-lines to the seq2seq command).");
                }

                skipped++;
                if (skippedDetails.Count < options.MaxReportedSkippedLines)
                {
                    skippedDetails.Add(new SkippedLine(lineNumber, reason));
                }

                continue;
            }

            goodPairs++;
            if (goodPairs <= options.SkipPairs)
            {
                continue;
            }

            pairs.Add(pair!);
            if (maxPairs is int max && pairs.Count >= max)
            {
                break;
            }
        }

        return new CorpusReadResult(name, pairs, linesRead, blankLines, skipped, skippedDetails);
    }

    private static string? ParseLine(string text, out SentencePair? pair)
    {
        pair = null;
        int tab = text.IndexOf('\t', StringComparison.Ordinal);
        if (tab < 0)
        {
            return "no tab between source and target";
        }

        string source = text[..tab];
        int end = text.IndexOf('\t', tab + 1);
        string target = end < 0 ? text[(tab + 1)..] : text[(tab + 1)..end];
        if (string.IsNullOrWhiteSpace(source))
        {
            return "empty source (first field)";
        }

        if (string.IsNullOrWhiteSpace(target))
        {
            return "empty target (second field)";
        }

        pair = new SentencePair(source, target);
        return null;
    }

    private static string? CheckLength(SentencePair pair, CorpusReadOptions options)
    {
        if (options.MaxLength is not int max)
        {
            return null;
        }

        foreach (var (side, text) in new[] { ("source", pair.Source), ("target", pair.Target) })
        {
            // Every token is at least one UTF-16 unit, so a text no longer than the limit in units needs no counting.
            if (text.Length <= max)
            {
                continue;
            }

            int length = Tokenizer.CountTokens(text, options.LengthLevel);
            if (length > max)
            {
                string unit = options.LengthLevel == TokenLevel.Word ? "word-level tokens" : "characters";
                return string.Create(CultureInfo.InvariantCulture, $"the {side} is {length:N0} {unit} long, over the maximum length of {max:N0} (MaxLength)");
            }
        }

        return null;
    }

    private static IEnumerable<RawLine> ReadByteLines(Stream stream, string name)
    {
        byte[] chunk = new byte[ChunkSize];
        byte[] line = new byte[256];
        int lineLength = 0;
        bool first = true;
        while (true)
        {
            int read = ReadChunk(stream, chunk, name);
            if (read == 0)
            {
                break;
            }

            int start = 0;
            while (start < read)
            {
                int nl = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                int stop = nl < 0 ? read : nl;
                Append(ref line, ref lineLength, chunk.AsSpan(start, stop - start));
                if (nl < 0)
                {
                    break;
                }

                yield return DecodeLine(line.AsSpan(0, lineLength), first);
                first = false;
                lineLength = 0;
                start = nl + 1;
            }
        }

        if (lineLength > 0)
        {
            yield return DecodeLine(line.AsSpan(0, lineLength), first);
        }
    }

    private static int ReadChunk(Stream stream, byte[] chunk, string name)
    {
        try
        {
            return stream.Read(chunk, 0, chunk.Length);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{name}: read error: {e.Message}", e);
        }
    }

    private static void Append(ref byte[] line, ref int lineLength, ReadOnlySpan<byte> bytes)
    {
        if (lineLength + bytes.Length > line.Length)
        {
            Array.Resize(ref line, Math.Max(line.Length * 2, lineLength + bytes.Length));
        }

        bytes.CopyTo(line.AsSpan(lineLength));
        lineLength += bytes.Length;
    }

    private static RawLine DecodeLine(ReadOnlySpan<byte> bytes, bool first)
    {
        if (first && bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        try
        {
            return new RawLine(StrictUtf8.GetString(bytes), null);
        }
        catch (DecoderFallbackException e)
        {
            string where = e.Index >= 0 ? $" at byte {e.Index + 1} of the line" : string.Empty;
            string what = e.BytesUnknown is { Length: > 0 } unknown ? $" (0x{Convert.ToHexString(unknown)})" : string.Empty;
            return new RawLine(null, $"invalid UTF-8{where}{what}");
        }
    }

    private static IEnumerable<RawLine> ReadCharLines(TextReader reader, string name)
    {
        char[] chunk = new char[ChunkSize];
        var line = new StringBuilder();
        bool first = true;
        while (true)
        {
            int read;
            try
            {
                read = reader.Read(chunk, 0, chunk.Length);
            }
            catch (IOException e)
            {
                throw new DataFormatException($"{name}: read error: {e.Message}", e);
            }

            if (read == 0)
            {
                break;
            }

            int start = 0;
            while (start < read)
            {
                int nl = Array.IndexOf(chunk, '\n', start, read - start);
                int stop = nl < 0 ? read : nl;
                line.Append(chunk, start, stop - start);
                if (nl < 0)
                {
                    break;
                }

                yield return CheckLine(line, first);
                first = false;
                line.Clear();
                start = nl + 1;
            }
        }

        if (line.Length > 0)
        {
            yield return CheckLine(line, first);
        }
    }

    private static RawLine CheckLine(StringBuilder builder, bool first)
    {
        string text = builder.ToString();
        if (first && text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        if (text.EndsWith('\r'))
        {
            text = text[..^1];
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return new RawLine(null, $"invalid text (unpaired UTF-16 surrogate U+{(int)c:X4} at character {i + 1} of the line)");
            }
        }

        return new RawLine(text, null);
    }

    private readonly record struct RawLine(string? Text, string? Error);
}
