namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// What beam search needs from a model: start from encoded sources, then advance rows one token at a time and
/// score the next token. The device translator and the reference model both implement it, so the same search
/// code runs over either.
/// </summary>
public interface IStepScorer
{
    /// <summary>Size of the target vocabulary (the width of each row of scores).</summary>
    int VocabularySize { get; }

    /// <summary>Encodes the sources; afterwards there are <c>sources.Count · rowsPerSource</c> decoder rows, row r starting from source r / rowsPerSource.</summary>
    void Start(IReadOnlyList<int[]> sources, int rowsPerSource);

    /// <summary>
    /// Advances every row: row r continues from the state of row <c>parents[r]</c> after the previous step and is fed
    /// <c>tokens[r]</c>. Returns the log-probabilities of the next token, [rows, V] row-major.
    /// </summary>
    double[] Advance(ReadOnlySpan<int> parents, ReadOnlySpan<int> tokens);
}
