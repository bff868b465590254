using FsCheck;
using FsCheck.Fluent;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// One seeded change to a file's bytes for the fuzz properties: its kind, and three numbers the kind interprets (a
/// position taken modulo the length, a value, an extra count or flag). Printed compactly, so a failing case can be read.
/// </summary>
public sealed record Mutation(string Kind, int Position, int Value, int Extra)
{
    /// <summary>A generator of mutations of <paramref name="kind"/> with a value up to <paramref name="maxValue"/> and an extra up to <paramref name="maxExtra"/>.</summary>
    public static Gen<Mutation> Of(string kind, int maxValue, int maxExtra) =>
        from p in Gen.Choose(0, int.MaxValue)
        from v in Gen.Choose(0, maxValue)
        from e in Gen.Choose(0, maxExtra)
        select new Mutation(kind, p, v, e);

    /// <inheritdoc />
    public override string ToString() => $"{Kind}@{Position}:{Value}/{Extra}";
}
