namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>Releases the serving tests' shared model after the last of them.</summary>
[SetUpFixture]
public sealed class ServingTeardown
{
    /// <summary>Runs once after every test of this namespace.</summary>
    [OneTimeTearDown]
    public void Release() => ServingModel.Release();
}
