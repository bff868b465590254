using NUnit.Framework;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class TokenizerTests
{
    [Test]
    public void Character_level_splits_code_points_not_utf16_units()
    {
        string text = "Va\u202F! \U0001F600é";
        IReadOnlyList<string> tokens = Tokenizer.SplitCharacters(text);
        Assert.That(tokens, Is.EqualTo(new[] { "V", "a", "\u202F", "!", " ", "\U0001F600", "é" }));
        Assert.That(tokens[5], Has.Length.EqualTo(2), "the emoji is one token of two UTF-16 units");
        Assert.That(Tokenizer.CountCodePoints(text), Is.EqualTo(7));
        Assert.That(Tokenizer.Detokenize(tokens, TokenLevel.Character), Is.EqualTo(text));
    }

    [TestCase("Go.", new[] { "Go", "." })]
    [TestCase("Qu'est-ce que c'est ?", new[] { "Qu'est-ce", "que", "c'est", "?" })]
    [TestCase("(Hello, world!)", new[] { "(", "Hello", ",", "world", "!", ")" })]
    [TestCase("Wait...", new[] { "Wait", ".", ".", "." })]
    [TestCase("  l'homme   peut-être\u202F!", new[] { "l'homme", "peut-être", "!" })]
    [TestCase("«\u00A0Oui\u00A0»", new[] { "«", "Oui", "»" })]
    [TestCase("It costs $5.", new[] { "It", "costs", "$", "5", "." })]
    [TestCase("3.14 is pi", new[] { "3.14", "is", "pi" })]
    [TestCase("", new string[0])]
    [TestCase(" \t ", new string[0])]
    public void Word_level_splits_white_space_and_edge_punctuation(string text, string[] expected)
    {
        Assert.That(Tokenizer.SplitWords(text), Is.EqualTo(expected));
        Assert.That(Tokenizer.Tokenize(text, TokenLevel.Word), Is.EqualTo(expected));
    }

    [Test]
    public void Word_level_keeps_a_trailing_emoji_whole()
    {
        Assert.That(Tokenizer.SplitWords("Hi\U0001F600"), Is.EqualTo(new[] { "Hi", "\U0001F600" }));
    }

    [TestCase(new[] { "Go", "." }, "Go.")]
    [TestCase(new[] { "Hello", ",", "world", "!" }, "Hello, world!")]
    [TestCase(new[] { "(", "Hi", ")", "there" }, "(Hi) there")]
    [TestCase(new[] { "He", "said", "\"", "no", "\"", "." }, "He said \"no\".")]
    [TestCase(new[] { "¿", "Qué", "?" }, "¿Qué?")]
    [TestCase(new[] { "Qu'est-ce", "que", "c'est", "?" }, "Qu'est-ce que c'est?")]
    public void Word_level_joins_with_sensible_punctuation(string[] tokens, string expected)
    {
        Assert.That(Tokenizer.Detokenize(tokens, TokenLevel.Word), Is.EqualTo(expected));
    }

    [Test]
    public void Word_level_round_trips_english_sentences()
    {
        foreach (string s in new[] { "Go.", "I'm fine, thanks!", "Who are you?", "Tom (not Mary) left." })
        {
            Assert.That(Tokenizer.JoinWords(Tokenizer.SplitWords(s)), Is.EqualTo(s));
        }
    }
}
