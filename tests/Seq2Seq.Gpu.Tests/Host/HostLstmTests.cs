using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostLstmTests(HostPath path) : HostTestBase(path)
{
    [TestCase(1, 1, false)]
    [TestCase(3, 5, true)]
    [TestCase(7, 33, true)]
    [TestCase(64, 17, false)]
    [TestCase(1, 256, true)]
    [TestCase(64, 256, true)]
    public void Forward_matches_reference_and_threads_do_not_change_it(int batch, int hidden, bool masked)
    {
        // Pre-activations up to ±12 exercise both saturated ends of σ and tanh, and both tanh branches.
        var z = Tensors.Random(batch * 4 * hidden, 20, 12.0);
        var cPrev = Tensors.Random(batch * hidden, 21, 2.0);
        var hPrev = Tensors.Random(batch * hidden, 22);
        int[] mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : [];
        var gates = (float[])z.Clone();
        var cNext = new float[batch * hidden];
        var hNext = new float[batch * hidden];

        Kernels.LstmForward(gates, cPrev, hPrev, cNext, hNext, mask, batch, hidden);

        var expected = ReferenceOps.LstmCellForward(z.ToDouble(), cPrev.ToDouble(), hPrev.ToDouble(), masked ? mask : null, batch, hidden);
        Tensors.AssertClose(gates, expected.Activations, "activations", 1e-6, 1e-5);
        Tensors.AssertClose(cNext, expected.C, "c", 1e-6, 1e-5);
        Tensors.AssertClose(hNext, expected.H, "h", 1e-6, 1e-5);

        var gates1 = (float[])z.Clone();
        var cNext1 = new float[batch * hidden];
        var hNext1 = new float[batch * hidden];
        SingleThreaded.LstmForward(gates1, cPrev, hPrev, cNext1, hNext1, mask, batch, hidden);
        Assert.That(gates, Is.EqualTo(gates1).AsCollection);
        Assert.That(hNext, Is.EqualTo(hNext1).AsCollection);
    }

    [TestCase(1, 1, false, true)]
    [TestCase(3, 5, true, true)]
    [TestCase(7, 33, true, false)]
    [TestCase(64, 17, false, true)]
    [TestCase(64, 256, true, true)]
    public void Backward_matches_reference_and_threads_do_not_change_it(int batch, int hidden, bool masked, bool withExternal)
    {
        var z = Tensors.Random(batch * 4 * hidden, 30, 3.0);
        var cPrev = Tensors.Random(batch * hidden, 31);
        var hPrev = Tensors.Random(batch * hidden, 32);
        int[] mask = masked ? Enumerable.Range(0, batch).Select(b => (b + 1) % 2).ToArray() : [];
        var forward = ReferenceOps.LstmCellForward(z.ToDouble(), cPrev.ToDouble(), hPrev.ToDouble(), masked ? mask : null, batch, hidden);
        var activations = Array.ConvertAll(forward.Activations, v => (float)v);
        var cNext = Array.ConvertAll(forward.C, v => (float)v);
        var dhExternal = Tensors.Random(batch * hidden, 33);
        var dhCarryIn = Tensors.Random(batch * hidden, 34);
        var dcCarryIn = Tensors.Random(batch * hidden, 35);

        var (dhCarry, dcCarry, dGates) = Run(Kernels);

        var dh = dhCarryIn.ToDouble();
        if (withExternal)
        {
            for (int e = 0; e < dh.Length; e++)
            {
                dh[e] += dhExternal[e];
            }
        }

        var expected = ReferenceOps.LstmCellBackward(activations.ToDouble(), cPrev.ToDouble(), cNext.ToDouble(), dh, dcCarryIn.ToDouble(), masked ? mask : null, batch, hidden);
        Tensors.AssertClose(dGates, expected.DGates, "dGates", 1e-6, 1e-5);
        Tensors.AssertClose(dcCarry, expected.DcPrev, "dc_prev", 1e-6, 1e-5);
        Tensors.AssertClose(dhCarry, expected.DhBypass, "dh bypass", 1e-6, 1e-5);

        var single = Run(SingleThreaded);
        Assert.That(dGates, Is.EqualTo(single.DGates).AsCollection);
        Assert.That(dcCarry, Is.EqualTo(single.DcCarry).AsCollection);

        (float[] DhCarry, float[] DcCarry, float[] DGates) Run(Compute.Host.HostKernels kernels)
        {
            var dhc = (float[])dhCarryIn.Clone();
            var dcc = (float[])dcCarryIn.Clone();
            var dg = Tensors.Random(batch * 4 * hidden, 36);
            kernels.LstmBackward(activations, cPrev, cNext, withExternal ? dhExternal : [], dhc, dcc, dg, mask, batch, hidden);
            return (dhc, dcc, dg);
        }
    }

    [Test]
    public void Cell_state_may_be_updated_in_place()
    {
        const int batch = 3, hidden = 21;
        var z = Tensors.Random(batch * 4 * hidden, 40, 4.0);
        var c = Tensors.Random(batch * hidden, 41);
        var h = Tensors.Random(batch * hidden, 42);
        var expected = ReferenceOps.LstmCellForward(z.ToDouble(), c.ToDouble(), h.ToDouble(), [1, 0, 1], batch, hidden);

        Kernels.LstmForward(z, c, h, c, h, [1, 0, 1], batch, hidden);

        Tensors.AssertClose(c, expected.C, "c in place", 1e-6, 1e-5);
        Tensors.AssertClose(h, expected.H, "h in place", 1e-6, 1e-5);
    }

    [Test]
    public void Activations_are_within_1e_6_relative_of_the_exact_functions()
    {
        // ±10^u for u in [-7, 2.1] and 0: tiny arguments, both tanh regimes, saturation, and σ far into its tail.
        var sweep = new List<float> { 0f };
        for (double u = -7; u <= 2.1; u += 0.005)
        {
            sweep.Add((float)Math.Pow(10, u));
            sweep.Add((float)-Math.Pow(10, u));
        }

        int hidden = sweep.Count;
        var gates = new float[4 * hidden];
        for (int gate = 0; gate < 4; gate++)
        {
            sweep.CopyTo(gates, gate * hidden);
        }

        Kernels.LstmForward(gates, new float[hidden], new float[hidden], new float[hidden], new float[hidden], [], 1, hidden);

        var sigmoid = sweep.Select(x => ReferenceOps.Sigmoid(x)).ToArray();
        var tanh = sweep.Select(x => Math.Tanh(x)).ToArray();
        Tensors.AssertClose(gates.AsSpan(0, hidden), sigmoid, "σ", 1e-30, 1e-6);
        Tensors.AssertClose(gates.AsSpan(2 * hidden, hidden), tanh, "tanh", 1e-30, 1e-6);
        Tensors.AssertClose(gates.AsSpan(3 * hidden, hidden), sigmoid, "σ (output gate)", 1e-30, 1e-6);
    }
}
