using ILGPU;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// Right operands prepared together for one pass (the decoder's matrices), in the order of their sources. Where the
/// backend keeps their bfloat16 copies in one device buffer (the ILGPU kernels in <see cref="WeightPrecision.Bf16"/>),
/// <see cref="SharedBFloat16"/> is that buffer's view and <see cref="Offsets"/> say where each operand starts in it, so
/// that one kernel (the persistent greedy decoder) can read every matrix by offset; elsewhere it is empty.
/// Disposing the group disposes its operands and the shared buffer.
/// </summary>
internal sealed class PreparedRightGroup : IDisposable
{
    private readonly IDisposable? owner;

    internal PreparedRightGroup(PreparedRightOperand[] operands, ArrayView<ushort> sharedBFloat16, long[] offsets, IDisposable? owner)
    {
        Operands = operands;
        SharedBFloat16 = sharedBFloat16;
        Offsets = offsets;
        this.owner = owner;
    }

    /// <summary>Each source prepared on its own (<see cref="IComputeBackend.PrepareRight"/>): no shared buffer.</summary>
    public static PreparedRightGroup OneByOne(IComputeBackend backend, IReadOnlyList<RightOperandSource> sources, WeightPrecision precision)
    {
        var operands = new List<PreparedRightOperand>(sources.Count);
        try
        {
            foreach (var source in sources)
            {
                operands.Add(backend.PrepareRight(source.View, source.K, source.N, source.Transposed, precision));
            }
        }
        catch
        {
            operands.ForEach(o => o.Dispose());
            throw;
        }

        return new PreparedRightGroup([.. operands], default, [], null);
    }

    /// <summary>The operands, one a source.</summary>
    public IReadOnlyList<PreparedRightOperand> Operands { get; }

    /// <summary>Every operand's bfloat16 copy in one view, or empty.</summary>
    public ArrayView<ushort> SharedBFloat16 { get; }

    /// <summary>Where each operand's copy starts in <see cref="SharedBFloat16"/> (elements); empty when that view is.</summary>
    public IReadOnlyList<long> Offsets { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var operand in Operands)
        {
            operand.Dispose();
        }

        owner?.Dispose();
    }
}
