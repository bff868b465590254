using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The attention operations and the elementwise tanh on every backend, against plain double-precision loops written
/// from their definitions (<see cref="AttentionKernels"/>), on awkward shapes: one position, widths off every vector
/// width, a wide row, step counts that fill the host loops' groups of four and leave a partial one, masks with holes, a
/// source column masked entirely (its rows get all-zero weights), and both = and +=.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class AttentionKernelTests(TestTarget target) : DeviceTestBase(target)
{
    private static readonly object[] Shapes =
    [
        new object[] { 1, 1, 1, 1 },
        new object[] { 3, 5, 2, 7 },
        new object[] { 4, 13, 3, 33 },
        new object[] { 2, 9, 5, 17 },
        new object[] { 1, 6, 4, 70 },

        // The host loops take four query steps (or source positions) of a sentence together: two full groups and one
        // of one, one full group and one of two, at widths with whole vector pairs, single vectors and a tail.
        new object[] { 9, 6, 2, 41 },
        new object[] { 6, 9, 3, 50 },
        new object[] { 2, 3, 1, 4100 },
    ];

    [TestCaseSource(nameof(Shapes))]
    public void Weights_are_the_masked_softmax_of_the_scores(int queries, int keys, int batch, int width)
    {
        var shape = new AttentionShape(queries, keys, batch, width);
        var q = Tensors.Random(queries * batch * width, 1);
        var k = Tensors.Random(keys * batch * width, 2);
        var mask = Mask(keys, batch);
        foreach (bool masked in new[] { false, true })
        {
            var weights = Zeros<float>(queries * batch * keys);
            Ops.AttentionWeights(Upload(q).View, Upload(k).View, masked ? Upload(mask).View : null, weights.View, shape);
            Tensors.AssertClose(weights.ToArray(), ExpectedWeights(q, k, masked ? mask : null, shape), $"weights (masked: {masked})", 1e-6, 1e-5);
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void Context_and_transposed_context_are_the_weighted_sums(int queries, int keys, int batch, int width)
    {
        var shape = new AttentionShape(queries, keys, batch, width);
        var a = Tensors.Random(queries * batch * keys, 3);
        var v = Tensors.Random(keys * batch * width, 4);
        var x = Tensors.Random(queries * batch * width, 5);
        var initialRows = Tensors.Random(queries * batch * width, 6);
        var initialColumns = Tensors.Random(keys * batch * width, 7);
        foreach (bool accumulate in new[] { false, true })
        {
            var context = Upload(initialRows);
            Ops.AttentionContext(Upload(a).View, Upload(v).View, context.View, shape.WithAccumulate(accumulate));
            var expected = new double[initialRows.Length];
            var transposed = Upload(initialColumns);
            Ops.AttentionTransposedContext(Upload(a).View, Upload(x).View, transposed.View, shape.WithAccumulate(accumulate));
            var expectedTransposed = new double[initialColumns.Length];
            for (int t = 0; t < queries; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < keys; s++)
                    {
                        double weight = a[(((t * batch) + b) * keys) + s];
                        for (int j = 0; j < width; j++)
                        {
                            expected[(((t * batch) + b) * width) + j] += weight * v[(((s * batch) + b) * width) + j];
                            expectedTransposed[(((s * batch) + b) * width) + j] += weight * x[(((t * batch) + b) * width) + j];
                        }
                    }
                }
            }

            if (accumulate)
            {
                Add(expected, initialRows);
                Add(expectedTransposed, initialColumns);
            }

            Tensors.AssertClose(context.ToArray(), expected, $"context (+=: {accumulate})", 1e-5, 1e-5);
            Tensors.AssertClose(transposed.ToArray(), expectedTransposed, $"transposed context (+=: {accumulate})", 1e-5, 1e-5);
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void Weights_backward_is_the_softmax_jacobian_applied_to_the_weight_gradient(int queries, int keys, int batch, int width)
    {
        var shape = new AttentionShape(queries, keys, batch, width);
        var q = Tensors.Random(queries * batch * width, 8);
        var v = Tensors.Random(keys * batch * width, 9);
        var dContext = Tensors.Random(queries * batch * width, 10);
        var mask = Mask(keys, batch);
        var weights = Zeros<float>(queries * batch * keys);
        Ops.AttentionWeights(Upload(q).View, Upload(v).View, Upload(mask).View, weights.View, shape);
        var a = weights.ToArray();
        var dScores = Zeros<float>(a.Length);

        Ops.AttentionWeightsBackward(weights.View, Upload(dContext).View, Upload(v).View, dScores.View, shape);

        // ds_s = Σ_u (∂a_u/∂score_s)·da_u with ∂a_u/∂score_s = a_u (δ_us − a_s), da_u = dc·v_u.
        var expected = new double[a.Length];
        for (int row = 0; row < queries * batch; row++)
        {
            int b = row % batch;
            var da = new double[keys];
            for (int u = 0; u < keys; u++)
            {
                for (int j = 0; j < width; j++)
                {
                    da[u] += dContext[(row * width) + j] * (double)v[(((u * batch) + b) * width) + j];
                }
            }

            for (int s = 0; s < keys; s++)
            {
                for (int u = 0; u < keys; u++)
                {
                    double au = a[(row * keys) + u], as_ = a[(row * keys) + s];
                    expected[(row * keys) + s] += au * ((u == s ? 1 : 0) - as_) * da[u];
                }
            }
        }

        Tensors.AssertClose(dScores.ToArray(), expected, "score gradient", 1e-5, 1e-4);
    }

    [Test]
    public void A_source_column_masked_entirely_gets_zero_weights()
    {
        var shape = new AttentionShape(2, 3, 2, 4);
        int[] mask = [1, 0, 1, 0, 1, 0];
        var weights = Zeros<float>(2 * 2 * 3);
        Ops.AttentionWeights(Upload(Tensors.Random(16, 11)).View, Upload(Tensors.Random(24, 12)).View, Upload(mask).View, weights.View, shape);
        var w = weights.ToArray();
        for (int t = 0; t < 2; t++)
        {
            Assert.That(w.AsSpan(((t * 2) + 1) * 3, 3).ToArray(), Is.All.EqualTo(0f), $"row ({t}, 1) has no source position");
            Assert.That(w.AsSpan(t * 2 * 3, 3).ToArray().Sum(), Is.EqualTo(1f).Within(1e-6), $"row ({t}, 0) is a distribution");
        }
    }

    [TestCase(1)]
    [TestCase(37)]
    [TestCase(70_001)]
    public void Tanh_and_its_backward_match_the_definitions(int count)
    {
        var x = Tensors.Random(count, 13, scale: 3);
        var dy = Tensors.Random(count, 14);
        var y = Zeros<float>(count);
        Ops.Tanh(Upload(x).View, y.View, count);
        var output = y.ToArray();
        Tensors.AssertClose(output, x.Select(v => Math.Tanh(v)).ToArray(), "tanh", 1e-6, 1e-5);

        var gradient = Upload(dy);
        Ops.TanhBackward(y.View, gradient.View, gradient.View, count);
        Tensors.AssertClose(gradient.ToArray(), dy.Select((g, e) => g * (1 - ((double)output[e] * output[e]))).ToArray(), "tanh backward (in place)", 1e-6, 1e-5);
    }

    [Test]
    public void Short_views_and_an_empty_source_are_shape_errors()
    {
        var ops = Ops;
        var shape = new AttentionShape(2, 3, 2, 4);
        var rows = Zeros<float>(16).View;
        var columns = Zeros<float>(24).View;
        var weights = Zeros<float>(12).View;
        var shortView = Zeros<float>(11).View;
        Assert.Throws<ShapeException>(() => ops.AttentionWeights(rows, columns, null, shortView, shape));
        Assert.Throws<ShapeException>(() => ops.AttentionContext(weights, shortView, rows, shape));
        Assert.Throws<ShapeException>(() => ops.AttentionTransposedContext(weights, rows, shortView, shape));
        Assert.Throws<ShapeException>(() => ops.AttentionWeightsBackward(weights, rows, columns, shortView, shape));
        Assert.Throws<ShapeException>(() => ops.AttentionWeights(rows, columns, Zeros<int>(5).View, weights, shape));
        var error = Assert.Throws<ShapeException>(() => ops.AttentionWeights(rows, columns, null, weights, new AttentionShape(2, 0, 2, 4)));
        Assert.That(error!.Message, Does.Contain("no source position"));
        Assert.Throws<ShapeException>(() => ops.Tanh(rows, shortView, 16));
    }

    /// <summary>A mask [Ts, B] with a hole in every column but its first position (so every row keeps something).</summary>
    private static int[] Mask(int keys, int batch)
    {
        var mask = new int[keys * batch];
        for (int s = 0; s < keys; s++)
        {
            for (int b = 0; b < batch; b++)
            {
                mask[(s * batch) + b] = s == 0 || (s + b) % 3 != 1 ? 1 : 0;
            }
        }

        return mask;
    }

    private static double[] ExpectedWeights(float[] q, float[] k, int[]? mask, AttentionShape shape)
    {
        var expected = new double[shape.Queries * shape.Batch * shape.Keys];
        for (int row = 0; row < shape.Queries * shape.Batch; row++)
        {
            int b = row % shape.Batch;
            var scores = new double[shape.Keys];
            for (int s = 0; s < shape.Keys; s++)
            {
                for (int j = 0; j < shape.Width; j++)
                {
                    scores[s] += q[(row * shape.Width) + j] * (double)k[(((s * shape.Batch) + b) * shape.Width) + j];
                }
            }

            bool Kept(int s) => mask is null || mask[(s * shape.Batch) + b] != 0;
            double max = Enumerable.Range(0, shape.Keys).Where(Kept).Max(s => scores[s]);
            double sum = Enumerable.Range(0, shape.Keys).Where(Kept).Sum(s => Math.Exp(scores[s] - max));
            for (int s = 0; s < shape.Keys; s++)
            {
                expected[(row * shape.Keys) + s] = Kept(s) ? Math.Exp(scores[s] - max) / sum : 0;
            }
        }

        return expected;
    }

    private static void Add(double[] target, float[] source)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += source[i];
        }
    }
}
