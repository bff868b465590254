using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Data;

/// <summary>
/// Property tests: thousands of seeded mutations of a small valid corpus (bit flips, bytes overwritten with tabs, line
/// ends, NULs and invalid UTF-8, tabs removed, sides emptied, huge lines, CRLF, truncation, byte order marks) read
/// with and without <see cref="CorpusReadOptions.SkipBadLines"/> and compared with a plain reading of the format
/// (DESIGN.md section 4): either the pairs it gives, or a <see cref="DataFormatException"/> naming the first bad line
/// as <c>file:line:</c>; with skipping, never an exception and the right counts.
/// </summary>
public sealed class CorpusFuzzTests
{
    private const int Cases = 1500;
    private const string Name = "fuzz.txt";
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);
    private static readonly byte[] Original = Encoding.UTF8.GetBytes(
        "Go.\tVa !\n" +
        "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n" +
        "Run!\tCours\u202F!\n" +
        "\n" +
        "Who?\tQui ?\n" +
        "Wow!\tÇa alors\u00A0!\n" +
        "Fire!\tAu feu !\n" +
        "日本\t😀 ok\n" +
        "Help!\tÀ l'aide !");

#pragma warning disable NUnit1027 // FsCheck.NUnit's Property supplies the argument, which the analyzer cannot see.
    [FsCheck.NUnit.Property(MaxTest = Cases, Replay = "(20261202,7046029254386353131)", QuietOnSuccess = true, Arbitrary = [typeof(CorpusFuzzTests)])]
    public void A_mutated_corpus_reads_as_the_format_says_or_names_the_first_bad_line(Mutation mutation)
#pragma warning restore NUnit1027
    {
        byte[] bytes = Apply(mutation);
        var expected = Expected(bytes);

        var strict = Bounded.Run(() => CorpusReader.Read(new MemoryStream(bytes), Name), CaseLimit, $"reading {mutation}");
        var skipping = Bounded.Run(
            () => CorpusReader.Read(new MemoryStream(bytes), Name, new CorpusReadOptions { SkipBadLines = true }), CaseLimit, $"reading {mutation} skipping bad lines");

        long bound = (32L * bytes.Length) + (4L << 20);
        Assert.That(strict.AllocatedBytes, Is.LessThan(bound), $"{mutation}: allocations");
        Assert.That(skipping.AllocatedBytes, Is.LessThan(bound), $"{mutation}: allocations with SkipBadLines");
        if (expected.BadLines.Count > 0)
        {
            Assert.That(strict.Error, Is.TypeOf<DataFormatException>(), $"{mutation}: {strict.Error}");
            Assert.That(strict.Error!.Message, Does.StartWith($"{Name}:{expected.BadLines[0]}: "), mutation.ToString());
        }
        else
        {
            Assert.That(strict.Error, Is.Null, $"{mutation}: {strict.Error}");
            Assert.That(strict.Result!.Pairs, Is.EqualTo(expected.Pairs), mutation.ToString());
        }

        Assert.That(skipping.Error, Is.Null, $"{mutation}: {skipping.Error}");
        CorpusReadResult result = skipping.Result!;
        Assert.That(result.Pairs, Is.EqualTo(expected.Pairs), mutation.ToString());
        Assert.That(result.SkippedLines, Is.EqualTo(expected.BadLines.Count), mutation.ToString());
        Assert.That(result.BlankLines, Is.EqualTo(expected.Blank), mutation.ToString());
        Assert.That(result.SkippedLineDetails.Select(d => d.LineNumber), Is.EqualTo(expected.BadLines.Take(100).Select(l => (long)l)), mutation.ToString());
        Assert.That(result.SkippedLineDetails.Select(d => d.Reason), Has.All.Not.Empty, mutation.ToString());
    }

    /// <summary>The generator of mutations FsCheck draws from (found by the property's <c>Arbitrary</c>).</summary>
    public static Arbitrary<Mutation> Mutations()
    {
        return Gen.OneOf(
            Mutation.Of("flip", 7, 3),
            Mutation.Of("overwrite", 255, 2),
            Mutation.Of("special", 15, 2),
            Mutation.Of("remove-tab", 0, 0),
            Mutation.Of("empty-side", 1, 0),
            Mutation.Of("huge-line", 3, 0),
            Mutation.Of("crlf", 1, 0),
            Mutation.Of("truncate", 0, 0),
            Mutation.Of("invalid-utf8", 6, 0)).ToArbitrary();
    }

    private static byte[] Apply(Mutation m)
    {
        byte[] bytes = (byte[])Original.Clone();
        int at = m.Position % bytes.Length;
        switch (m.Kind)
        {
            case "flip":
                for (int i = 0; i <= m.Extra; i++)
                {
                    bytes[(at + (i * 31)) % bytes.Length] ^= (byte)(1 << ((m.Value + i) % 8));
                }

                return bytes;
            case "overwrite":
                for (int i = 0; i <= m.Extra; i++)
                {
                    bytes[(at + (i * 17)) % bytes.Length] = (byte)(m.Value + (i * 61));
                }

                return bytes;
            case "special":
                byte[] specials = [0, (byte)'\t', (byte)'\n', (byte)'\r', (byte)' ', 0xFF, 0xC3, 0x80, 0xE2, 0xEF, 0xBB, 0xBF, 0xF0, 0xED, 0x0B, 0x85];
                return Insert(bytes, at, m.Extra == 0 ? [specials[m.Value]] : [specials[m.Value], specials[(m.Value + m.Extra) % specials.Length]]);
            case "remove-tab":
                int tab = IndexFrom(bytes, at, (byte)'\t');
                return tab < 0 ? bytes : [.. bytes[..tab], .. bytes[(tab + 1)..]];
            case "empty-side":
                int start = at == 0 ? 0 : IndexFrom(bytes, at, (byte)'\n') + 1;
                int firstTab = start <= 0 && at != 0 ? -1 : IndexFrom(bytes, start, (byte)'\t');
                if (firstTab < 0)
                {
                    return bytes;
                }

                if (m.Value == 0)
                {
                    return [.. bytes[..start], .. bytes[firstTab..]]; // Source removed.
                }

                int end = Array.FindIndex(bytes, firstTab + 1, b => b is (byte)'\t' or (byte)'\n');
                return [.. bytes[..(firstTab + 1)], .. " "u8, .. end < 0 ? [] : bytes[end..]]; // Target made white space.
            case "huge-line":
                byte[] huge = new byte[200_000 + m.Value];
                huge.AsSpan().Fill((byte)'x');
                if (m.Value % 2 == 1)
                {
                    huge[huge.Length / 2] = (byte)'\t';
                }

                return Insert(bytes, LineStart(bytes, at), [.. huge, (byte)'\n']);
            case "crlf":
                if (m.Value == 0)
                {
                    return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\n", "\r\n", StringComparison.Ordinal));
                }

                int nl = IndexFrom(bytes, at, (byte)'\n');
                return nl < 0 ? [.. bytes, (byte)'\r'] : Insert(bytes, nl, [(byte)'\r']);
            case "truncate":
                return bytes[..at];
            default:
                byte[][] invalid = [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82], [0xEF, 0xBB, 0xBF], [0xFE]];
                return Insert(bytes, at, invalid[m.Value]);
        }
    }

    private static byte[] Insert(byte[] bytes, int at, byte[] inserted) => [.. bytes[..at], .. inserted, .. bytes[at..]];

    private static int IndexFrom(byte[] bytes, int start, byte value) => start >= bytes.Length ? -1 : Array.IndexOf(bytes, value, start);

    private static int LineStart(byte[] bytes, int at) => at == 0 ? 0 : Array.LastIndexOf(bytes, (byte)'\n', at - 1) + 1;

    /// <summary>
    /// The format read plainly: lines end at LF (a CR before it is dropped), a BOM opens the file, a last line may lack
    /// its LF; an empty line is blank; a line that is not strict UTF-8, has no tab, or has an empty or white-space
    /// source or target (the first two fields) is bad.
    /// </summary>
    private static (List<SentencePair> Pairs, List<int> BadLines, int Blank) Expected(byte[] bytes)
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var pairs = new List<SentencePair>();
        var bad = new List<int>();
        int blank = 0;
        var lines = new List<byte[]>();
        int from = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(bytes[from..i]);
                from = i + 1;
            }
        }

        if (from < bytes.Length)
        {
            lines.Add(bytes[from..]);
        }

        for (int n = 0; n < lines.Count; n++)
        {
            ReadOnlySpan<byte> line = lines[n];
            if (n == 0 && line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                line = line[3..];
            }

            if (line.EndsWith((ReadOnlySpan<byte>)[(byte)'\r']))
            {
                line = line[..^1];
            }

            string text;
            try
            {
                text = strict.GetString(line);
            }
            catch (DecoderFallbackException)
            {
                bad.Add(n + 1);
                continue;
            }

            if (text.Length == 0)
            {
                blank++;
                continue;
            }

            string[] fields = text.Split('\t');
            if (fields.Length < 2 || string.IsNullOrWhiteSpace(fields[0]) || string.IsNullOrWhiteSpace(fields[1]))
            {
                bad.Add(n + 1);
                continue;
            }

            pairs.Add(new SentencePair(fields[0], fields[1]));
        }

        return (pairs, bad, blank);
    }
}
