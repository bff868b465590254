namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>What <c>ptxas -v</c> reports for one kernel.</summary>
/// <param name="Registers">Registers a thread.</param>
/// <param name="SharedBytes">Static shared memory a group.</param>
/// <param name="StackFrameBytes">Local stack frame a thread.</param>
/// <param name="SpillStoreBytes">Bytes spilled to local memory.</param>
/// <param name="SpillLoadBytes">Bytes read back from spills.</param>
/// <param name="Text">The report itself, for messages.</param>
public sealed record PtxasReport(int Registers, int SharedBytes, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes, string Text);
