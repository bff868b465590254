using NUnit.Framework;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class VocabularyTests
{
    private static IReadOnlyList<string>[] Chars(params string[] texts) => [.. texts.Select(Tokenizer.SplitCharacters)];

    [Test]
    public void Standard_character_vocabulary_has_specials_then_sorted_tokens()
    {
        Vocabulary v = Vocabulary.Build(Chars("cab", "ba!"), TokenLevel.Character, VocabularyScheme.Standard, isTarget: true);
        Assert.That(v.Tokens, Is.EqualTo(new[] { "<pad>", "<start>", "<end>", "<unk>", "!", "a", "b", "c" }));
        Assert.That(v.SpecialTokens, Is.EqualTo(new SpecialTokens(0, 1, 2, 3)));
        Assert.That(v.Count, Is.EqualTo(8));
        Assert.That(v.IdOf("b"), Is.EqualTo(6));
        Assert.That(v.TokenOf(7), Is.EqualTo("c"));
    }

    [Test]
    public void Standard_word_vocabulary_uses_the_tutorial_markers()
    {
        IReadOnlyList<string>[] words = [.. new[] { "Go .", "Run !" }.Select(Tokenizer.SplitWords)];
        Vocabulary v = Vocabulary.Build(words, TokenLevel.Word, VocabularyScheme.Standard, isTarget: true);
        Assert.That(v.Tokens, Is.EqualTo(new[] { "<pad>", "START_", "_END", "<unk>", "!", ".", "Go", "Run" }));
    }

    [Test]
    public void A_word_longer_than_the_longest_token_a_checkpoint_holds_is_left_out_and_maps_to_unk()
    {
        string longWord = new('x', Vocabulary.MaxTokenLength + 1);
        string longest = new('y', Vocabulary.MaxTokenLength);
        IReadOnlyList<string>[] words = [["go", longWord], ["go", longest]];

        Vocabulary v = Vocabulary.Build(words, TokenLevel.Word, VocabularyScheme.Standard, isTarget: false);

        Assert.That(v.Tokens, Does.Contain("go").And.Contain(longest).And.Not.Contain(longWord));
        Assert.That(v.IdOf(longWord), Is.EqualTo(v.SpecialTokens.Unk));
    }

    [Test]
    public void Unknown_tokens_map_to_unk()
    {
        Vocabulary v = Vocabulary.Build(Chars("ab"), TokenLevel.Character, VocabularyScheme.Standard, isTarget: false);
        Assert.That(v.IdOf("z"), Is.EqualTo(v.UnkId));
        Assert.That(v.IdOf("\U0001F600"), Is.EqualTo(3));
        Assert.That(v.TryGetId("z", out _), Is.False);
        Assert.That(v.Contains("a"), Is.True);
    }

    [Test]
    public void A_data_token_equal_to_a_special_name_is_not_duplicated()
    {
        IReadOnlyList<string>[] seqs = [new[] { "START_", "x", "<unk>", "_END", "<pad>" }];
        Vocabulary v = Vocabulary.Build(seqs, TokenLevel.Word, VocabularyScheme.Standard, isTarget: true);
        Assert.That(v.Tokens, Is.EqualTo(new[] { "<pad>", "START_", "_END", "<unk>", "x" }));
        Assert.That(v.IdOf("START_"), Is.EqualTo(v.StartId));
    }

    [Test]
    public void MinCount_and_MaxSize_keep_the_most_frequent_tokens_with_ordinal_ties()
    {
        IReadOnlyList<string>[] seqs = [new[] { "b", "b", "b", "a", "a", "c", "c", "d" }];
        Vocabulary min2 = Vocabulary.Build(seqs, TokenLevel.Word, VocabularyScheme.Standard, isTarget: false, minCount: 2);
        Vocabulary max6 = Vocabulary.Build(seqs, TokenLevel.Word, VocabularyScheme.Standard, isTarget: false, maxSize: 6);
        Assert.That(min2.Tokens.Skip(4), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(max6.Tokens.Skip(4), Is.EqualTo(new[] { "a", "b" }), "b (3) then a and c tie at 2: a wins ordinally");
        Assert.That(max6.IdOf("c"), Is.EqualTo(max6.UnkId));
        Assert.That(() => Vocabulary.Build(seqs, TokenLevel.Word, VocabularyScheme.Standard, false, maxSize: 3), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Keras_vocabularies_are_sorted_code_point_sets_with_space_as_pad_and_unk()
    {
        Vocabulary source = Vocabulary.Build(Chars("ba", "c"), TokenLevel.Character, VocabularyScheme.KerasCompatible, isTarget: false);
        Vocabulary target = Vocabulary.Build(Chars("b a"), TokenLevel.Character, VocabularyScheme.KerasCompatible, isTarget: true);
        Assert.That(source.Tokens, Is.EqualTo(new[] { " ", "a", "b", "c" }), "the space is added when absent");
        Assert.That(source.SpecialTokens, Is.EqualTo(new SpecialTokens(0, SpecialTokens.Absent, SpecialTokens.Absent, 0)));
        Assert.That(target.Tokens, Is.EqualTo(new[] { "\t", "\n", " ", "a", "b" }));
        Assert.That(target.SpecialTokens, Is.EqualTo(new SpecialTokens(2, 0, 1, 2)));
        Assert.That(target.IdOf("z"), Is.EqualTo(target.IdOf(" ")));
    }

    [Test]
    public void Keras_sort_is_by_code_point_not_utf16_unit()
    {
        // U+FF01 (one UTF-16 unit, 0xFF01) sorts before U+1F600 (surrogates 0xD83D...) by code point,
        // but after it by ordinal UTF-16 comparison.
        Vocabulary v = Vocabulary.Build(Chars("\U0001F600\uFF01"), TokenLevel.Character, VocabularyScheme.KerasCompatible, isTarget: false);
        Assert.That(v.Tokens, Is.EqualTo(new[] { " ", "\uFF01", "\U0001F600" }));
        Assert.That(string.CompareOrdinal("\uFF01", "\U0001F600"), Is.GreaterThan(0));
    }

    [Test]
    public void Keras_scheme_rejects_word_level_and_limits()
    {
        Assert.That(() => Vocabulary.Build(Chars("a"), TokenLevel.Word, VocabularyScheme.KerasCompatible, false), Throws.ArgumentException);
        Assert.That(() => Vocabulary.Build(Chars("a"), TokenLevel.Character, VocabularyScheme.KerasCompatible, false, minCount: 2), Throws.ArgumentException);
        Assert.That(() => Vocabulary.Build([new[] { "ab" }], TokenLevel.Character, VocabularyScheme.KerasCompatible, false), Throws.ArgumentException);
    }

    [Test]
    public void FromTokens_round_trips_a_built_vocabulary()
    {
        Vocabulary built = Vocabulary.Build(Chars("hello"), TokenLevel.Character, VocabularyScheme.KerasCompatible, isTarget: true);
        Vocabulary restored = Vocabulary.FromTokens([.. built.Tokens], built.SpecialTokens);
        Assert.That(restored.Tokens, Is.EqualTo(built.Tokens));
        Assert.That(restored.SpecialTokens, Is.EqualTo(built.SpecialTokens));
        Assert.That(restored.IdOf("l"), Is.EqualTo(built.IdOf("l")));
    }

    [TestCase(new[] { "<pad>", "<start>", "<end>", "<unk>", "a", "a" }, 0, 1, 2, 3, "appears twice")]
    [TestCase(new[] { "<pad>", "<start>", "<end>", "<unk>" }, 0, 1, 2, 4, "UNK id 4 is out of range")]
    [TestCase(new[] { "<pad>", "<start>", "<end>", "<unk>" }, -1, 1, 2, 3, "PAD id -1 is out of range")]
    [TestCase(new[] { "<pad>", "<start>", "<end>", "<unk>" }, 0, 1, 1, 3, "START and END share id 1")]
    [TestCase(new[] { "<pad>", "<start>", "<end>", "" }, 0, 1, 2, 3, "token 3 is empty")]
    [TestCase(new string[0], 0, 1, 2, 3, "no tokens")]
    public void FromTokens_rejects_inconsistent_input(string[] tokens, int pad, int start, int end, int unk, string message)
    {
        var ex = Assert.Throws<DataFormatException>(() => Vocabulary.FromTokens(tokens, new SpecialTokens(pad, start, end, unk)));
        Assert.That(ex!.Message, Does.Contain(message));
    }

    [Test]
    public void TokenOf_rejects_ids_out_of_range()
    {
        Vocabulary v = Vocabulary.Build(Chars("a"), TokenLevel.Character, VocabularyScheme.Standard, false);
        Assert.That(() => v.TokenOf(v.Count), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => v.TokenOf(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
