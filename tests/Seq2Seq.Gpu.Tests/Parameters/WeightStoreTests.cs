using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Parameters;

public sealed class WeightStoreTests
{
    private static readonly Seq2SeqConfig KerasChar = new(71, 93, 0, 256, 1);
    private static readonly Seq2SeqConfig Stacked = new(50, 60, 16, 24, 3);

    [Test]
    public void Layout_has_the_checkpoint_names_and_shapes()
    {
        var layout = ModelLayout.Create(KerasChar);
        var shapes = layout.Parameters.ToDictionary(p => p.Name, p => p.ShapeText);
        Assert.That(shapes, Is.EqualTo(new Dictionary<string, string>
        {
            ["encoder.lstm.0.kernel"] = "[71, 1024]",
            ["encoder.lstm.0.recurrent_kernel"] = "[256, 1024]",
            ["encoder.lstm.0.bias"] = "[1024]",
            ["decoder.lstm.0.kernel"] = "[93, 1024]",
            ["decoder.lstm.0.recurrent_kernel"] = "[256, 1024]",
            ["decoder.lstm.0.bias"] = "[1024]",
            ["output.kernel"] = "[256, 93]",
            ["output.bias"] = "[93]",
        }));

        var stacked = ModelLayout.Create(Stacked);
        Assert.That(stacked["encoder.embedding"].ShapeText, Is.EqualTo("[50, 16]"));
        Assert.That(stacked["decoder.lstm.0.kernel"].ShapeText, Is.EqualTo("[16, 96]"));
        Assert.That(stacked["decoder.lstm.2.kernel"].ShapeText, Is.EqualTo("[24, 96]"));
    }

    [TestCase(0)]
    [TestCase(1)]
    public void Layout_offsets_are_aligned_contiguous_and_disjoint(int which)
    {
        var layout = ModelLayout.Create(which == 0 ? KerasChar : Stacked);
        long expectedOffset = 0;
        foreach (var p in layout.Parameters)
        {
            Assert.That(p.Offset, Is.EqualTo(expectedOffset), $"{p.Name} starts where the previous (aligned) one ends");
            Assert.That(p.Offset % ParameterLayout.Alignment, Is.Zero, $"{p.Name} is aligned");
            expectedOffset = (p.End + ParameterLayout.Alignment - 1) / ParameterLayout.Alignment * ParameterLayout.Alignment;
        }

        Assert.That(layout.TotalCount, Is.EqualTo(expectedOffset));
        Assert.That(layout.TotalCount - layout.Parameters.Sum(p => p.Count), Is.LessThan(ParameterLayout.Alignment * layout.Parameters.Count));
    }

    [Test]
    public void Layout_rejects_duplicate_names_and_empty_shapes()
    {
        Assert.That(() => ParameterLayout.Create([("a", [2], ParameterInit.Zeros), ("a", [3], ParameterInit.Zeros)]), Throws.TypeOf<ShapeException>().With.Message.Contains("'a'"));
        Assert.That(() => ParameterLayout.Create([("b", [2, 0], ParameterInit.Zeros)]), Throws.TypeOf<ShapeException>().With.Message.Contains("'b'"));
        Assert.That(() => ModelLayout.Create(KerasChar with { Layers = 5 }), Throws.TypeOf<ShapeException>().With.Message.Contains("layers"));
    }

    [Test]
    public void Gradients_and_optimizer_state_share_the_weights_layout()
    {
        var device = TestDevices.Cpu();
        using var store = new WeightStore(device, ModelLayout.Create(Stacked));
        store.EnsureOptimizerSlots(2);

        Assert.That(store.Gradients.Length, Is.EqualTo(store.Weights.Length));
        Assert.That(store.OptimizerState(0).Length, Is.EqualTo(store.Weights.Length));
        Assert.That(store.OptimizerState(1).Length, Is.EqualTo(store.Weights.Length));

        // A value written through the gradient view of a parameter lands at that parameter's offset.
        var spec = store.Layout["decoder.lstm.1.bias"];
        var values = Tensors.Random((int)spec.Count, 5);
        store.Gradients.CopyFrom(values, spec.Offset);
        Assert.That(store.ReadGradient("decoder.lstm.1.bias"), Is.EqualTo(values));
    }

    [Test]
    public void Named_tensors_round_trip_and_wrong_lengths_are_rejected()
    {
        var device = TestDevices.Cpu();
        using var store = new WeightStore(device, ModelLayout.Create(Stacked));
        var values = Tensors.Random(24 * 96, 9);
        long before = store.Version;

        store.WriteTensor("encoder.lstm.1.recurrent_kernel", values);

        Assert.That(store.ReadTensor("encoder.lstm.1.recurrent_kernel"), Is.EqualTo(values));
        Assert.That(store.Version, Is.GreaterThan(before));
        Assert.That(() => store.WriteTensor("output.bias", new float[59]), Throws.TypeOf<ShapeException>().With.Message.Contains("output.bias").And.Message.Contains("[60]"));
        Assert.That(() => store.ReadTensor("nope"), Throws.TypeOf<ShapeException>().With.Message.Contains("nope"));
    }

    [Test]
    public void Initialisation_is_reproducible_per_seed_and_has_the_keras_statistics()
    {
        var device = TestDevices.Cpu();
        var layout = ModelLayout.Create(new Seq2SeqConfig(71, 93, 32, 64, 1));
        using var a = new WeightStore(device, layout);
        using var b = new WeightStore(device, layout);
        using var c = new WeightStore(device, layout);
        a.Initialize(7);
        b.Initialize(7);
        c.Initialize(8);

        Assert.That(a.Weights.ToArray(), Is.EqualTo(b.Weights.ToArray()), "same seed, same weights");
        Assert.That(a.ReadTensor("encoder.lstm.0.kernel"), Is.Not.EqualTo(c.ReadTensor("encoder.lstm.0.kernel")), "another seed, other weights");

        // Glorot uniform [32, 256]: within ±sqrt(6/288), variance limit²/3.
        var kernel = a.ReadTensor("encoder.lstm.0.kernel");
        double limit = Math.Sqrt(6.0 / (32 + 256));
        Assert.That(kernel.Max(Math.Abs), Is.LessThanOrEqualTo(limit));
        Assert.That(kernel.Average(x => (double)x), Is.EqualTo(0).Within(0.01));
        Assert.That(kernel.Average(x => (double)x * x), Is.EqualTo(limit * limit / 3).Within(0.1 * limit * limit / 3));

        // Embedding uniform ±0.05.
        var embedding = a.ReadTensor("decoder.embedding");
        Assert.That(embedding.Max(Math.Abs), Is.LessThanOrEqualTo(0.05f));
        Assert.That(embedding.Average(x => (double)x * x), Is.EqualTo(0.05 * 0.05 / 3).Within(0.1 * 0.05 * 0.05 / 3));

        // Orthogonal [64, 256]: rows orthonormal, U·Uᵀ = I.
        var u = a.ReadTensor("decoder.lstm.0.recurrent_kernel");
        double worst = 0;
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 64; j++)
            {
                double dot = 0;
                for (int k = 0; k < 256; k++)
                {
                    dot += u[(i * 256) + k] * (double)u[(j * 256) + k];
                }

                worst = Math.Max(worst, Math.Abs(dot - (i == j ? 1 : 0)));
            }
        }

        Assert.That(worst, Is.LessThan(1e-5), "U·Uᵀ - I");

        // LSTM bias: the forget quarter is 1, the rest 0; output bias 0.
        var bias = a.ReadTensor("encoder.lstm.0.bias");
        Assert.That(bias.Take(64), Is.All.EqualTo(0f));
        Assert.That(bias.Skip(64).Take(64), Is.All.EqualTo(1f));
        Assert.That(bias.Skip(128), Is.All.EqualTo(0f));
        Assert.That(a.ReadTensor("output.bias"), Is.All.EqualTo(0f));
    }

    [Test]
    public void Orthogonal_initialiser_gives_orthonormal_columns_for_tall_matrices()
    {
        var spec = new ParameterSpec("tall", [40, 8], 0, ParameterInit.Orthogonal);
        var q = WeightInitializer.Create(spec, 3);
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                double dot = 0;
                for (int r = 0; r < 40; r++)
                {
                    dot += q[(r * 8) + i] * (double)q[(r * 8) + j];
                }

                Assert.That(dot, Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-5), $"column {i}·{j}");
            }
        }
    }
}
