using System.Text;
using NUnit.Framework;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class CorpusReaderTests
{
    private string tempDir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        tempDir = Path.Combine(Path.GetTempPath(), "s2s-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tempDir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(tempDir, recursive: true);

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(tempDir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteFile(string name, string text) => WriteFile(name, Encoding.UTF8.GetBytes(text));

    [Test]
    public void Reads_two_column_lines()
    {
        string path = WriteFile("a.txt", "Go.\tVa !\nHi.\tSalut !\n");
        CorpusReadResult result = CorpusReader.Read(path);
        Assert.That(result.Pairs, Is.EqualTo(new[] { new SentencePair("Go.", "Va !"), new SentencePair("Hi.", "Salut !") }));
        Assert.That(result.SkippedLines, Is.Zero);
        Assert.That(result.LinesRead, Is.EqualTo(2));
    }

    [Test]
    public void Reads_three_column_lines_and_drops_the_attribution()
    {
        string path = WriteFile("b.txt", "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\nRun!\tCours !\tx\ty\n");
        CorpusReadResult result = CorpusReader.Read(path);
        Assert.That(result.Pairs, Is.EqualTo(new[] { new SentencePair("Go.", "Va !"), new SentencePair("Run!", "Cours !") }));
    }

    [Test]
    public void Handles_crlf_and_a_last_line_without_newline()
    {
        string path = WriteFile("c.txt", "a\tb\r\nc\td\r\ne\tf");
        CorpusReadResult result = CorpusReader.Read(path);
        Assert.That(result.Pairs, Is.EqualTo(new[] { new SentencePair("a", "b"), new SentencePair("c", "d"), new SentencePair("e", "f") }));
    }

    [Test]
    public void Ignores_a_byte_order_mark_and_empty_lines_but_keeps_line_numbers()
    {
        string path = WriteFile("d.txt", "\uFEFFa\tb\n\n\r\nno tab here\n\n");
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}:4: no tab"));

        CorpusReadResult result = CorpusReader.Read(WriteFile("e.txt", "\uFEFFa\tb\n\n\r\nc\td\n\n"));
        Assert.That(result.Pairs, Is.EqualTo(new[] { new SentencePair("a", "b"), new SentencePair("c", "d") }));
        Assert.That(result.BlankLines, Is.EqualTo(3));
    }

    [TestCase("x\ty\nno tab\n", 2, "no tab")]
    [TestCase("x\ty\n\tonly target\n", 2, "empty source")]
    [TestCase("x\ty\nz\t \n", 2, "empty target")]
    [TestCase("x\ty\nz\t\tattribution\n", 2, "empty target")]
    public void Bad_lines_are_errors_naming_file_and_line(string text, int line, string reason)
    {
        string path = WriteFile("bad.txt", text);
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}:{line}: {reason}"));
    }

    [Test]
    public void Invalid_utf8_is_an_error_naming_file_and_line()
    {
        byte[] bytes = [.. "ok\tfine\n"u8, .. "caf"u8, 0xC3, 0x28, .. "\tx\n"u8];
        string path = WriteFile("utf8.txt", bytes);
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}:2: invalid UTF-8"));
        Assert.That(ex.Message, Does.Contain("0xC3"));
    }

    [Test]
    public void Skip_mode_counts_and_reports_bad_lines()
    {
        byte[] bytes = [.. "a\tb\nno tab\n\tx\n"u8, 0xFF, .. "\ty\nc\td\n"u8];
        CorpusReadResult result = CorpusReader.Read(new MemoryStream(bytes), "mem", new CorpusReadOptions { SkipBadLines = true });
        Assert.That(result.Pairs, Is.EqualTo(new[] { new SentencePair("a", "b"), new SentencePair("c", "d") }));
        Assert.That(result.SkippedLines, Is.EqualTo(3));
        Assert.That(result.SkippedLineDetails.Select(s => s.LineNumber), Is.EqualTo(new long[] { 2, 3, 4 }));
        Assert.That(result.SkippedLineDetails[0].Reason, Does.Contain("no tab"));
        Assert.That(result.SkippedLineDetails[1].Reason, Does.Contain("empty source"));
        Assert.That(result.SkippedLineDetails[2].Reason, Does.Contain("invalid UTF-8"));
    }

    [Test]
    public void Skip_mode_reports_only_the_first_lines_but_counts_all()
    {
        string text = string.Concat(Enumerable.Repeat("bad\n", 10)) + "a\tb\n";
        CorpusReadResult result = CorpusReader.Read(
            new StringReader(text), "mem", new CorpusReadOptions { SkipBadLines = true, MaxReportedSkippedLines = 3 });
        Assert.That(result.SkippedLines, Is.EqualTo(10));
        Assert.That(result.SkippedLineDetails, Has.Count.EqualTo(3));
        Assert.That(result.Pairs, Has.Count.EqualTo(1));
    }

    [Test]
    public void MaxPairs_and_SkipPairs_select_a_window()
    {
        string text = string.Concat(Enumerable.Range(0, 10).Select(i => $"s{i}\tt{i}\n"));
        var first = CorpusReader.Read(new StringReader(text), "mem", new CorpusReadOptions { MaxPairs = 3 });
        var window = CorpusReader.Read(new StringReader(text), "mem", new CorpusReadOptions { SkipPairs = 3, MaxPairs = 4 });
        var rest = CorpusReader.Read(new StringReader(text), "mem", new CorpusReadOptions { SkipPairs = 8 });
        Assert.That(first.Pairs.Select(p => p.Source), Is.EqualTo(new[] { "s0", "s1", "s2" }));
        Assert.That(first.LinesRead, Is.EqualTo(3), "reading stops once MaxPairs pairs are read");
        Assert.That(window.Pairs.Select(p => p.Source), Is.EqualTo(new[] { "s3", "s4", "s5", "s6" }));
        Assert.That(rest.Pairs.Select(p => p.Target), Is.EqualTo(new[] { "t8", "t9" }));
    }

    [Test]
    public void Lines_after_MaxPairs_are_not_checked()
    {
        var result = CorpusReader.Read(new StringReader("a\tb\nbad line\n"), "mem", new CorpusReadOptions { MaxPairs = 1 });
        Assert.That(result.Pairs, Has.Count.EqualTo(1));
    }

    [Test]
    public void Negative_options_are_rejected()
    {
        Assert.That(() => CorpusReader.Read(new StringReader("a\tb"), "mem", new CorpusReadOptions { MaxPairs = -1 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => CorpusReader.Read(new StringReader("a\tb"), "mem", new CorpusReadOptions { SkipPairs = -1 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Missing_file_is_a_clear_error_naming_the_path()
    {
        string path = Path.Combine(tempDir, "nope", "missing.txt");
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("no such file"));
        Assert.That(ex.InnerException, Is.InstanceOf<IOException>());
    }

    [Test]
    public void A_folder_is_named_as_a_folder_not_a_corpus_file()
    {
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(tempDir));
        Assert.That(ex!.Message, Does.Contain($"'{tempDir}' is a folder, not a corpus file"));
    }

    [Test]
    public void A_bad_line_names_the_option_that_skips_it_for_library_and_command_line_users()
    {
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(new StringReader("a\tb\nno tab\n"), "mem"));
        Assert.That(ex!.Message, Does.StartWith("mem:2: ").And.Contain("CorpusReadOptions.SkipBadLines").And.Contain("--skip-bad-lines"));
    }

    [Test]
    public void Keeps_text_exactly_including_non_ascii_spaces()
    {
        string path = WriteFile("nb.txt", "Go!\tVa\u202F!\n  spaced \t\u00A0x\u2009y \n");
        CorpusReadResult result = CorpusReader.Read(path);
        Assert.That(result.Pairs[0].Target, Is.EqualTo("Va\u202F!"));
        Assert.That(result.Pairs[1], Is.EqualTo(new SentencePair("  spaced ", "\u00A0x\u2009y ")));
    }

    [Test]
    public void Text_reader_overload_rejects_unpaired_surrogates()
    {
        var ex = Assert.Throws<DataFormatException>(() => CorpusReader.Read(new StringReader("a\tb\nx\ty\uD800z\n"), "resource:sample"));
        Assert.That(ex!.Message, Does.StartWith("resource:sample:2: invalid text"));
    }

    [Test]
    public void Stream_overload_reads_long_lines_across_chunk_boundaries()
    {
        string longSource = new('é', 50_000);
        byte[] bytes = Encoding.UTF8.GetBytes($"{longSource}\tt\nsecond\tline\n");
        CorpusReadResult result = CorpusReader.Read(new MemoryStream(bytes), "big");
        Assert.That(result.Pairs, Has.Count.EqualTo(2));
        Assert.That(result.Pairs[0].Source, Is.EqualTo(longSource));
        Assert.That(result.Pairs[1], Is.EqualTo(new SentencePair("second", "line")));
    }

    [Test]
    public void Reads_the_shared_three_column_file()
    {
        string path = SharedDataLocator.RequireFile("eng-fra-3col-5k.txt");
        CorpusReadResult result = CorpusReader.Read(path);
        Assert.That(result.Pairs, Has.Count.EqualTo(5000));
        Assert.That(result.Pairs[0], Is.EqualTo(new SentencePair("Go.", "Va !")));
        Assert.That(result.Pairs.Any(p => p.Target.Contains('\t', StringComparison.Ordinal) || p.Target.Contains("CC-BY", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void Reads_the_shared_two_column_release_from_its_zip()
    {
        CorpusReadResult result = SharedDataLocator.ReadFraTxt(10_000);
        Assert.That(result.Pairs, Has.Count.EqualTo(10_000));
        Assert.That(result.Pairs[0], Is.EqualTo(new SentencePair("Go.", "Va !")));
        Assert.That(result.SkippedLines, Is.Zero);
    }
}
