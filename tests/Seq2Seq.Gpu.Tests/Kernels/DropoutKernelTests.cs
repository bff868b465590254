using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// Inverted dropout on every backend: against the reference with a mask drawn by an independent SplitMix64 generator,
/// bit for bit the same as the host kernels, the identity at p = 0, in place, and its kept fraction.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class DropoutKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 0.5f)]
    [TestCase(1000, 0.25f)]
    [TestCase(4099, 0.1f)]
    [TestCase(70_001, 0.6f)]
    public void Matches_the_reference_with_the_splitmix_mask(int count, float rate)
    {
        var x = Tensors.Random(count, 80);
        var mask = DropoutMask.Create(rate, seed: 7, step: 3, site: 2);
        var actual = Dropped(x, mask);

        // The spec of the mask: element e's draw is the (e + 1)-th output of SplitMix64 seeded with the site's key.
        var generator = new DeterministicRandom(mask.Key);
        var keep = new bool[count];
        for (int e = 0; e < count; e++)
        {
            keep[e] = (uint)(generator.NextUInt64() >> 32) >= DropoutMask.ThresholdOf(rate);
        }

        Tensors.AssertClose(actual, ReferenceOps.Dropout(x.ToDouble(), keep, rate), "dropout", 0, 1e-6);
        for (int e = 0; e < count; e++)
        {
            Assert.That(actual[e] == 0f, Is.EqualTo(!keep[e] || x[e] == 0f), $"element {e} kept or dropped as the mask says");
        }
    }

    [TestCase(4099, 0.3f)]
    [TestCase(70_001, 0.5f)]
    public void Gives_the_host_kernels_bits(int count, float rate)
    {
        var x = Tensors.Random(count, 81);
        var mask = DropoutMask.Create(rate, seed: 11, step: 12_345, site: 65);
        var expected = new float[count];
        new HostKernels(HostInstructionSet.Portable, 3).Dropout(x, expected, count, mask);

        Assert.That(Dropped(x, mask), Is.EqualTo(expected).AsCollection, "the ILGPU kernel and the host loop draw the same mask and scale alike");
    }

    [Test]
    public void Rate_zero_is_the_identity()
    {
        var x = Tensors.Random(5000, 82);
        Assert.That(Dropped(x, DropoutMask.Create(0f, seed: 1, step: 1, site: 0)), Is.EqualTo(x).AsCollection);
    }

    [Test]
    public void In_place_equals_out_of_place_and_is_its_own_backward()
    {
        var dy = Tensors.Random(3001, 83);
        var mask = DropoutMask.Create(0.4f, seed: 5, step: 9, site: 1);
        var inPlace = Upload(dy);
        Ops.Dropout(inPlace.View, inPlace.View, dy.Length, mask);
        Assert.That(inPlace.ToArray(), Is.EqualTo(Dropped(dy, mask)).AsCollection);
    }

    [Test]
    public void Keeps_about_one_minus_p_of_many_elements()
    {
        const int count = 1 << 20;
        const float rate = 0.3f;
        var output = Dropped(Enumerable.Repeat(1f, count).ToArray(), DropoutMask.Create(rate, seed: 1, step: 1, site: 0));

        int kept = output.Count(v => v != 0f);

        // The mask is fixed by the seed, so this cannot flake: the count is what the mask function gives (the same on
        // every backend), and it lies well inside ±10 standard deviations (about 470) of the binomial mean.
        int expected = Enumerable.Range(0, count).Count(e => DropoutMask.Create(rate, 1, 1, 0).Keeps(e));
        Assert.That(kept, Is.EqualTo(expected));
        Assert.That(kept, Is.InRange((int)(count * 0.7) - 4700, (int)(count * 0.7) + 4700));
        Assert.That(output.Where(v => v != 0f).Distinct(), Is.EqualTo(new[] { (float)(1.0 / 0.7) }));
    }

    [Test]
    public void Steps_and_sites_draw_different_masks()
    {
        var a = DropoutMask.Create(0.5f, seed: 1, step: 1, site: 0);
        var others = new[] { DropoutMask.Create(0.5f, 1, 2, 0), DropoutMask.Create(0.5f, 1, 1, 1), DropoutMask.Create(0.5f, 2, 1, 0) };
        foreach (var b in others)
        {
            int same = Enumerable.Range(0, 4096).Count(e => a.Keeps(e) == b.Keeps(e));
            Assert.That(same, Is.InRange(1800, 2300), "independent masks agree on about half the elements");
        }
    }

    [Test]
    public void A_short_view_or_a_bad_rate_is_an_error()
    {
        var mask = DropoutMask.Create(0.5f, 1, 1, 0);
        var ops = Ops;
        var ten = Zeros<float>(10).View;
        var nine = Zeros<float>(9).View;
        Assert.Throws<ShapeException>(() => ops.Dropout(ten, nine, 10, mask));
        Assert.Throws<ShapeException>(() => ops.Dropout(ten, ten, 10, new DropoutMask(1, 0, 0.5f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Create(1f, 1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Create(-0.1f, 1, 1, 0));
    }

    /// <summary><paramref name="x"/> through <paramref name="mask"/> on the target, out of place.</summary>
    private float[] Dropped(float[] x, DropoutMask mask)
    {
        var output = Zeros<float>(x.Length);
        Ops.Dropout(Upload(x).View, output.View, x.Length, mask);
        return output.ToArray();
    }
}
