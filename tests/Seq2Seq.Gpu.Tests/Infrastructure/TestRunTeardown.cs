namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Disposes the shared test devices after the last test.</summary>
[SetUpFixture]
public sealed class TestRunTeardown
{
    /// <summary>Runs once after every test of the assembly.</summary>
    [OneTimeTearDown]
    public void DisposeDevices() => TestDevices.DisposeAll();
}
