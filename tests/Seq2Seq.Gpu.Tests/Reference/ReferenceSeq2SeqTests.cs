using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Reference;

/// <summary>The reference model's step path against its sequence path, and its architecture description, for both cells.</summary>
public sealed class ReferenceSeq2SeqTests
{
    [TestCase(ReferenceArchitecture.Lstm, 0)]
    [TestCase(ReferenceArchitecture.Lstm, 3)]
    [TestCase(ReferenceArchitecture.Gru, 0)]
    [TestCase(ReferenceArchitecture.Gru, 3)]
    public void Decoder_steps_give_the_teacher_forced_logits(string cell, int embedding)
    {
        const int vocab = 6, hidden = 4, layers = 2;
        var model = ReferenceModels.Random(cell, vocab, vocab, embedding, hidden, layers, 5);
        int[] source = [1, 4, 2, 3];
        int[] inputs = [0, 5, 2, 1, 3];
        var batch = new ReferenceBatch(source, null, inputs, [.. inputs.Select(_ => -1)], null, source.Length, inputs.Length, 1);

        var expected = model.TeacherForcedLogits(batch);
        var states = model.EncoderFinalStates(batch);
        var actual = inputs.SelectMany(token => model.DecoderStep(token, states)).ToArray();

        // Same arithmetic row by row, so equal to rounding (Tensors.AssertClose narrows to float, too coarse here).
        Assert.That(actual, Is.EqualTo(expected).Within(1e-12), "step logits");
        Assert.That(states.All(s => s.C.Length == (cell == ReferenceArchitecture.Lstm ? hidden : 0)), "an LSTM state has c [B, H], a GRU's none");
    }

    [Test]
    public void Default_architecture_has_the_engine_names()
    {
        var gru = ReferenceArchitecture.Default(ReferenceArchitecture.Gru, 2, oneHot: false);
        var lstm = ReferenceArchitecture.Default(ReferenceArchitecture.Lstm, 1, oneHot: true);

        Assert.That(gru.Encoder.Embedding, Is.EqualTo("encoder.embedding"));
        Assert.That(gru.Decoder.Layers[1], Is.EqualTo(new ReferenceLayerNames("decoder.gru.1.kernel", "decoder.gru.1.recurrent_kernel", "decoder.gru.1.bias")));
        Assert.That(lstm.Decoder.Embedding, Is.Null);
        Assert.That(lstm.Encoder.Layers.Single(), Is.EqualTo(new ReferenceLayerNames("encoder.lstm.0.kernel", "encoder.lstm.0.recurrent_kernel", "encoder.lstm.0.bias")));
        Assert.That((lstm.OutputKernel, lstm.OutputBias), Is.EqualTo(("output.kernel", "output.bias")));
    }

    [Test]
    public void Unknown_cells_and_missing_parameters_are_refused()
    {
        var model = ReferenceModels.Random(ReferenceArchitecture.Gru, 4, 4, 0, 2, 1, 1);
        var parameters = model.Parameters.ToDictionary(p => p.Key, p => p.Value);
        parameters.Remove("decoder.gru.0.bias");

        Assert.Throws<ArgumentException>(() => ReferenceArchitecture.Default("rnn", 1, oneHot: true));
        var missing = Assert.Throws<ArgumentException>(() => _ = new ReferenceSeq2Seq(model.Architecture, 4, 4, 0, 2, parameters));
        Assert.That(missing!.Message, Does.Contain("decoder.gru.0.bias"));
        Assert.Throws<ArgumentException>(() => _ = new ReferenceSeq2Seq(model.Architecture, 4, 4, 3, 2, parameters));
    }
}
