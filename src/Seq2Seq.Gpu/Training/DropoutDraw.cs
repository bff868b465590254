namespace Seq2Seq.Gpu.Training;

/// <summary>
/// The dropout of one training step: the rate p (0 &lt; p &lt; 1) and the coordinates that, with a site and an element
/// index, fix every mask (<see cref="Kernels.DropoutMask"/>): the run's seed and the global optimizer step, both saved in
/// a training checkpoint, so a resumed run draws the masks the uninterrupted run would have.
/// </summary>
/// <param name="Rate">The dropout rate p.</param>
/// <param name="Seed">The run's seed (<see cref="TrainingState.Seed"/>).</param>
/// <param name="Step">The optimizer step (1-based) whose gradients the pass computes.</param>
internal readonly record struct DropoutDraw(double Rate, ulong Seed, long Step);
