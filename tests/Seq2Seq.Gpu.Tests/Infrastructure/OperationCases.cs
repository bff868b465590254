namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The shapes an operation is checked on, in one place: against the reference on every backend by the operation suites
/// (Kernels/), and for the same bits on any number of threads by the host kernels' suite (Host/HostThreadsTests).
/// Hidden sizes of 1, 5, 17, 33 and 256 leave a different tail on every vector width.
/// </summary>
public static class OperationCases
{
    /// <summary>(rows, width, vocab) of a scatter-add: few distinct ids for many rows, so every id repeats.</summary>
    public static IEnumerable<TestCaseData> ScatterAdd => Of([1, 1, 1], [9, 5, 3], [200, 33, 4], [3000, 300, 7]);

    /// <summary>(rows, cols, accumulate) of a column sum.</summary>
    public static IEnumerable<TestCaseData> ColumnSum => Of([1, 1, false], [7, 5, true], [129, 67, false], [3776, 93, true], [300, 1024, false]);

    /// <summary>(batch, hidden, masked) of an LSTM forward step.</summary>
    public static IEnumerable<TestCaseData> LstmForward => Of([1, 1, false], [3, 5, true], [7, 33, true], [64, 17, false], [1, 256, true], [64, 256, true]);

    /// <summary>(batch, hidden, masked, withExternal) of an LSTM backward step.</summary>
    public static IEnumerable<TestCaseData> LstmBackward => Of([1, 1, false, true], [3, 5, true, true], [7, 33, true, false], [64, 17, false, true], [64, 256, true, true]);

    /// <summary>(batch, hidden, masked) of a GRU forward step (B = 1 masked too: row 0 is the masked one).</summary>
    public static IEnumerable<TestCaseData> GruForward => Of([1, 1, false], [1, 1, true], [3, 5, true], [7, 33, true], [64, 17, false], [64, 256, true]);

    /// <summary>(batch, hidden, masked, withExternal) of a GRU backward step.</summary>
    public static IEnumerable<TestCaseData> GruBackward =>
        Of([1, 1, false, true], [1, 1, true, true], [3, 5, true, true], [7, 33, true, false], [64, 17, false, true], [64, 17, false, false], [64, 256, true, true]);

    /// <summary>(rows, vocab, logit scale) of a softmax cross-entropy: logits of ±300 overflow a naive exp in float.</summary>
    public static IEnumerable<TestCaseData> CrossEntropy => Of([1, 1, 1.0], [1, 93, 5.0], [13, 7, 3.0], [67, 130, 1.0], [5, 40, 300.0], [9, 17, 300.0], [600, 93, 4.0]);

    /// <summary>(count) of a sum: empty, one element, a vector tail, and more than one chunk.</summary>
    public static IEnumerable<TestCaseData> Sum => Of([0], [1], [17], [1023], [100_003]);

    private static IEnumerable<TestCaseData> Of(params object[][] cases) => cases.Select(arguments => new TestCaseData(arguments));
}
