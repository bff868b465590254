using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Bookkeeping of batched greedy decoding on the device, so that the host need not look at every step.
/// <see cref="RecordStep"/>, one work item per sentence b &lt; B: <c>token = finished[b] ? endId : chosen[b]</c>;
/// <c>outputs[step, b] = token</c>; <c>current[b] = token</c> (the next step's input); <c>finished[b] |= token == endId</c>.
/// Views: chosen [B] (the step's argmax, read), current [B] (assigned), outputs [maxSteps, B] (row <c>step</c>
/// assigned), finished [B] (0 or 1, updated).
/// </summary>
internal static class DecodeKernels
{
    /// <summary>Records one greedy step and feeds its tokens back as the next inputs.</summary>
    public static void RecordStep(
        Index1D thread,
        ArrayView<int> chosen,
        ArrayView<int> current,
        ArrayView<int> outputs,
        ArrayView<int> finished,
        int step,
        int batch,
        int endId,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, batch);
        for (int b = LaunchChunk.Begin(thread, chunk); b < end; b++)
        {
            int token = finished[b] != 0 ? endId : chosen[b];
            outputs[((long)step * batch) + b] = token;
            current[b] = token;
            if (token == endId)
            {
                finished[b] = 1;
            }
        }
    }
}
