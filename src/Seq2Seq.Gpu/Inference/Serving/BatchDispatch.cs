namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>When a <see cref="TranslationService"/>'s decoding thread, once free, decodes the sentences that are queued.</summary>
/// <remarks>
/// The decoding thread chooses the next batch only when it has finished the last one, so sentences that arrive while a
/// batch decodes wait for it in any case: batches grow by themselves while the device is busy. The policies differ in
/// what the free thread does when fewer sentences than a full batch are queued.
/// </remarks>
public enum BatchDispatch
{
    /// <summary>
    /// Decode once as many sentences of the batch's beam width are queued as that width's last batch held (a full batch at
    /// most; one before the first batch), or at once when the oldest was already queued when the last batch was taken
    /// (passed over because that batch was full or of another beam width), or once the oldest has waited
    /// <see cref="TranslationServiceOptions.MaxDelay"/>. A lone client's sentences are decoded at once; clients that each wait for their answer before asking again come
    /// back together after their batch and are decoded together again, without waiting for a batch that cannot fill.
    /// When fewer callers come back than the last batch held, they wait <see cref="TranslationServiceOptions.MaxDelay"/>
    /// once, and the next batch expects their number.
    /// </summary>
    Adaptive,

    /// <summary>
    /// Decode only a full batch (<see cref="TranslationServiceOptions.MaxBatch"/> rows), or once the oldest sentence has
    /// waited <see cref="TranslationServiceOptions.MaxDelay"/>: every batch that does not fill waits the whole delay.
    /// </summary>
    FullOrDelay,
}
