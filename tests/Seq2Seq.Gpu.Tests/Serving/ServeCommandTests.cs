using Seq2Seq.Cli;
using Seq2Seq.Gpu.Tests.Cli;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary><c>seq2seq serve</c> end to end: it serves a saved model on the port it reports, and stops cleanly when cancelled.</summary>
public sealed class ServeCommandTests
{
    [Test]
    public async Task Serve_answers_on_the_port_it_reports_and_stops_with_exit_code_0()
    {
        using var stdout = new SignallingWriter("serving on ");
        using var stderr = new StringWriter();
        using var cancellation = new CancellationTokenSource();
        string[] args = ["serve", "--model", ServingModel.CheckpointPath, "--port", "0", "--device", "cpu", "--max-delay-ms", "0", "--dispatch", "full-or-delay", "--precision", "bf16"];
        var run = Task.Run(() => CliApp.Run(args, stdout, stderr, interactive: false, null, cancellation.Token));

        string line = await Task.WhenAny(stdout.Line, run) == run ? Fail(await run, stderr) : await stdout.Line;
        var address = new Uri(line.Split(' ')[2]);
        using (var client = new ServerClient(address))
        {
            Assert.That(await client.TranslateAsync(["abc", "fed"]), Has.Count.EqualTo(2));
            string health = await client.GetAsync("/health");
            Assert.That(health, Does.Contain("\"dispatch\":\"full-or-delay\""), "the policy asked for is the one served");
            Assert.That(health, Does.Contain("\"precision\":\"bf16\""), "and the precision");
        }

        await cancellation.CancelAsync();
        Assert.That(await run, Is.EqualTo(ExitCodes.Success), stderr.ToString());
        Assert.That(address.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(stdout.Text, Does.Contain("stopped: every accepted sentence was answered"));
    }

    [TestCase("--port", "70000", "--port must be at most 65535")]
    [TestCase("--max-batch", "0", "--max-batch must be at least 1")]
    [TestCase("--host", "not-an-address", "--host expects an IP address")]
    [TestCase("--dispatch", "eager", "--dispatch expects adaptive or full-or-delay, got 'eager'")]
    [TestCase("--precision", "fp16", "Argument 'fp16' not recognized. Must be one of: 'fp32' 'bf16'")]
    public void Bad_options_are_usage_errors(string option, string value, string message)
    {
        var run = CliRun.Of("serve", "--model", "missing.s2s", option, value);

        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(run.Error, Does.Contain(message));
    }

    [Test]
    public void A_missing_model_file_is_one_error_line()
    {
        var run = CliRun.Of("serve", "--model", Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.s2s"), "--port", "0", "--device", "cpu");

        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1));
        Assert.That(run.Error, Does.StartWith(CliApp.ErrorPrefix));
    }

    private static string Fail(int exitCode, StringWriter stderr)
    {
        Assert.Fail($"serve exited with {exitCode} before serving: {stderr}");
        return string.Empty;
    }
}
