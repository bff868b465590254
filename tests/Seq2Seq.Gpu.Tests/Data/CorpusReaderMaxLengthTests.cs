using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Tests.Data;

public sealed class CorpusReaderMaxLengthTests
{
    [Test]
    public void A_sentence_over_the_limit_is_an_error_with_the_line_its_length_and_the_limit()
    {
        string corpus = "Go.\tVa !\n" + new string('x', 1_000_000) + "\ty\nHi.\tSalut.\n";

        var error = Assert.Throws<DataFormatException>(() => CorpusReader.Read(new StringReader(corpus), "c.txt", new CorpusReadOptions { MaxLength = 1000 }))!;

        Assert.That(error.Message, Does.StartWith("c.txt:2: the source is 1,000,000 characters long, over the maximum length of 1,000"));
    }

    [Test]
    public void Skipped_over_long_pairs_are_counted_like_other_bad_lines()
    {
        string corpus = "Go.\tVa !\nab\t" + new string('y', 11) + "\nHi.\tSalut.\n";

        var result = CorpusReader.Read(new StringReader(corpus), "c.txt", new CorpusReadOptions { MaxLength = 10, SkipBadLines = true });

        Assert.That(result.Pairs.Select(p => p.Source), Is.EqualTo(new[] { "Go.", "Hi." }));
        Assert.That(result.SkippedLines, Is.EqualTo(1));
        Assert.That(result.SkippedLineDetails[0], Is.EqualTo(new SkippedLine(2, "the target is 11 characters long, over the maximum length of 10 (MaxLength)")));
    }

    [Test]
    public void Lengths_count_tokens_of_the_given_level_and_code_points_not_utf16_units()
    {
        // Four emoji are eight UTF-16 units but four characters; ten words of ten letters are ten word tokens.
        string words = string.Join(' ', Enumerable.Repeat("abcdefghij", 10));
        string corpus = "😀😀😀😀\tx\n" + words + "\ty\n";

        var byCharacters = CorpusReader.Read(new StringReader(corpus), "c.txt", new CorpusReadOptions { MaxLength = 4, SkipBadLines = true });
        var byWords = CorpusReader.Read(new StringReader(corpus), "c.txt", new CorpusReadOptions { MaxLength = 10, LengthLevel = TokenLevel.Word });

        Assert.That(byCharacters.Pairs.Select(p => p.Source), Is.EqualTo(new[] { "😀😀😀😀" }));
        Assert.That(byWords.Pairs, Has.Count.EqualTo(2));
    }
}
