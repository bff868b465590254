using NUnit.Framework;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class TextEncoderTests
{
    private static readonly SentencePair[] Pairs = [new("Go.", "Va !"), new("Hi.", "Salut.")];

    [Test]
    public void Standard_encodes_source_without_markers_and_target_wrapped()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        int[] source = enc.EncodeSource("Go.");
        int[] target = enc.EncodeTarget("Va");
        Assert.That(source.Select(enc.SourceVocabulary.TokenOf), Is.EqualTo(new[] { "G", "o", "." }));
        Assert.That(target, Is.EqualTo(new[] { 1, enc.TargetVocabulary.IdOf("V"), enc.TargetVocabulary.IdOf("a"), 2 }));
    }

    [Test]
    public void Unknown_characters_become_unk_and_decode_as_its_token()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        int[] ids = enc.EncodeTarget("Vz");
        Assert.That(ids[2], Is.EqualTo(enc.TargetVocabulary.UnkId));
        Assert.That(enc.DecodeTarget(ids), Is.EqualTo("V<unk>"));
    }

    [Test]
    public void Decode_skips_start_and_pad_and_stops_at_end()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        Vocabulary tv = enc.TargetVocabulary;
        int[] ids = [tv.StartId, tv.IdOf("S"), tv.PadId, tv.IdOf("a"), tv.EndId, tv.IdOf("l")];
        Assert.That(enc.DecodeTarget(ids), Is.EqualTo("Sa"));
        Assert.That(enc.DecodeSource(enc.EncodeSource("Hi.")), Is.EqualTo("Hi."));
    }

    [Test]
    public void Keras_decode_keeps_spaces_because_pad_is_the_space()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
        int[] ids = enc.EncodeTarget("Va !");
        Assert.That(ids[0], Is.EqualTo(enc.TargetVocabulary.IdOf("\t")));
        Assert.That(ids[^1], Is.EqualTo(enc.TargetVocabulary.IdOf("\n")));
        Assert.That(enc.DecodeTarget(ids), Is.EqualTo("Va !"));
        Assert.That(enc.EncodeSource("Gq"), Is.EqualTo(new[] { enc.SourceVocabulary.IdOf("G"), enc.SourceVocabulary.IdOf(" ") }), "unknown -> space");
    }

    [Test]
    public void Word_level_round_trip_through_ids()
    {
        SentencePair[] pairs = [new("Go.", "Va !"), new("Who are you?", "Qui êtes-vous ?")];
        TextEncoder enc = TextEncoder.Build(pairs, TokenLevel.Word, VocabularyScheme.Standard);
        Assert.That(enc.TargetVocabulary.TokenOf(1), Is.EqualTo("START_"));
        Assert.That(enc.DecodeTarget(enc.EncodeTarget("Qui êtes-vous ?")), Is.EqualTo("Qui êtes-vous?"));
        Assert.That(enc.DecodeSource(enc.EncodeSource("Who are you?")), Is.EqualTo("Who are you?"));
    }

    [Test]
    public void Constructor_validates_scheme_level_and_markers()
    {
        TextEncoder keras = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
        Assert.That(() => new TextEncoder(TokenLevel.Word, VocabularyScheme.KerasCompatible, keras.SourceVocabulary, keras.TargetVocabulary), Throws.ArgumentException);
        Assert.That(() => new TextEncoder(TokenLevel.Character, VocabularyScheme.KerasCompatible, keras.SourceVocabulary, keras.SourceVocabulary), Throws.ArgumentException);
    }

    [Test]
    public void CreateBatch_from_sentences_without_targets_has_no_decoder_steps()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        Batch batch = enc.CreateBatch(["Go.", "Hi"]);
        Assert.That((batch.BatchSize, batch.SourceSteps, batch.TargetSteps), Is.EqualTo((2, 3, 0)));
        Assert.That(batch.SourceMask, Is.EqualTo(new[] { 1, 1, 1, 1, 1, 0 }));
        Assert.That(batch.CountedTargets, Is.Zero);
    }

    [Test]
    public void NormalizeTarget_puts_references_in_the_form_translations_take()
    {
        var pairs = new[] { new SentencePair("Go.", "Va !"), new SentencePair("Hi.", "Salut !") };
        var words = TextEncoder.Build(pairs, TokenLevel.Word, VocabularyScheme.Standard);
        var chars = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);

        Assert.That(words.NormalizeTarget("Va !"), Is.EqualTo(words.DecodeTarget(words.EncodeTarget("Va !"))));
        Assert.That(words.NormalizeTarget("Salut  !"), Is.EqualTo("Salut!"));
        Assert.That(chars.NormalizeTarget("Va !"), Is.EqualTo("Va !"), "character level keeps every character");
    }
}
