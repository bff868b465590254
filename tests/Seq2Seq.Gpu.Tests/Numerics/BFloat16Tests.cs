using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Tests.Numerics;

/// <summary>
/// The bfloat16 conversion against a plain reference that works on values, not bits: the two bfloat16 neighbours of
/// x (x's bits truncated, and the next one away from zero), the nearer one by exact double arithmetic, the one with
/// an even last bit on a tie. Plus the special values, whose bits are checked one by one.
/// </summary>
public sealed class BFloat16Tests
{
    [Test]
    public void Rounding_matches_the_round_to_nearest_even_reference_on_random_bit_patterns()
    {
        var random = new Random(20261203);
        var buffer = new byte[4];
        int checkedValues = 0;
        for (int i = 0; i < 200_000; i++)
        {
            random.NextBytes(buffer);
            float x = BitConverter.ToSingle(buffer);
            if (!float.IsFinite(x))
            {
                continue;
            }

            Assert.That(BFloat16.FromSingle(x), Is.EqualTo(Reference(x)), $"x = {x:R} (bits 0x{BitConverter.SingleToUInt32Bits(x):X8})");
            checkedValues++;
        }

        Assert.That(checkedValues, Is.GreaterThan(190_000));
    }

    [TestCase(0x3F808000u, (ushort)0x3F80, TestName = "A tie rounds down to the even neighbour")]
    [TestCase(0x3F818000u, (ushort)0x3F82, TestName = "A tie rounds up to the even neighbour")]
    [TestCase(0x3F808001u, (ushort)0x3F81, TestName = "Just above a tie rounds up")]
    [TestCase(0x3F807FFFu, (ushort)0x3F80, TestName = "Just below a tie rounds down")]
    [TestCase(0xBF818000u, (ushort)0xBF82, TestName = "Negative ties round to even by magnitude")]
    [TestCase(0x3FFFFFFFu, (ushort)0x4000, TestName = "A carry out of the fraction bumps the exponent")]
    [TestCase(0x7F7FFFFFu, (ushort)0x7F80, TestName = "The largest single rounds to infinity")]
    [TestCase(0x00008000u, (ushort)0x0000, TestName = "A subnormal tie rounds to zero")]
    [TestCase(0x00018000u, (ushort)0x0002, TestName = "A subnormal tie rounds to even")]
    public void Boundary_values_round_as_ieee_says(uint bits, ushort expected)
    {
        ushort actual = BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(bits));

        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(actual, Is.EqualTo(Reference(BitConverter.UInt32BitsToSingle(bits))), "the reference agrees");
    }

    [TestCase(1f)]
    [TestCase(-2.5f)]
    [TestCase(0.15625f)]
    [TestCase(65280f)]
    [TestCase(-1.1754944E-38f)]
    public void Values_with_eight_significant_bits_convert_exactly_both_ways(float value)
    {
        Assert.That(BFloat16.ToSingle(BFloat16.FromSingle(value)), Is.EqualTo(value));
        Assert.That(BFloat16.FromSingle(value), Is.EqualTo((ushort)(BitConverter.SingleToUInt32Bits(value) >> 16)));
    }

    [Test]
    public void Zeros_and_infinities_keep_their_bits()
    {
        Assert.That(BFloat16.FromSingle(0f), Is.EqualTo((ushort)0x0000));
        Assert.That(BFloat16.FromSingle(-0f), Is.EqualTo((ushort)0x8000));
        Assert.That(BitConverter.SingleToUInt32Bits(BFloat16.ToSingle(0x8000)), Is.EqualTo(0x8000_0000u), "negative zero widens to negative zero");
        Assert.That(BFloat16.FromSingle(float.PositiveInfinity), Is.EqualTo((ushort)0x7F80));
        Assert.That(BFloat16.FromSingle(float.NegativeInfinity), Is.EqualTo((ushort)0xFF80));
        Assert.That(BFloat16.ToSingle(0xFF80), Is.EqualTo(float.NegativeInfinity));
    }

    [TestCase(0x7FC00000u)]
    [TestCase(0xFFC00000u)]
    [TestCase(0x7F800001u)]
    [TestCase(0xFF80FFFFu)]
    [TestCase(0x7FFFFFFFu)]
    public void A_nan_stays_a_nan_with_its_sign(uint bits)
    {
        ushort converted = BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(bits));

        Assert.That(float.IsNaN(BFloat16.ToSingle(converted)), Is.True, $"0x{bits:X8} became 0x{converted:X4}");
        Assert.That(converted >> 15, Is.EqualTo(bits >> 31), "sign kept");
    }

    [Test]
    public void Span_conversion_rejects_a_short_destination()
    {
        var error = Assert.Throws<ArgumentException>(() => BFloat16.FromSingle([1f, 2f, 3f], new ushort[2]));

        Assert.That(error!.Message, Does.Contain("2 values").And.Contain("3 values"));
    }

    /// <summary>Round to nearest, ties to even, by comparing distances to the two neighbours in double.</summary>
    private static ushort Reference(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort toward = (ushort)(bits >> 16);
        ushort away = (ushort)(toward + 1);
        double low = BFloat16.ToSingle(toward);

        // The neighbour away from zero of the largest finite bfloat16 is 2^128 as a value (infinity as bits).
        double high = (away & 0x7FFF) == 0x7F80 ? Math.CopySign(Math.ScaleB(1.0, 128), x) : BFloat16.ToSingle(away);
        double toLow = Math.Abs(x - low);
        double toHigh = Math.Abs(high - x);
        if (toLow != toHigh)
        {
            return toLow < toHigh ? toward : away;
        }

        return (toward & 1) == 0 ? toward : away;
    }
}
