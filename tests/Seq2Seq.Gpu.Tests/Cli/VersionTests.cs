using System.Diagnostics;
using System.Reflection;
using Seq2Seq.Cli;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary><c>seq2seq --version</c> prints the version the packages get from git (MinVer), not the SDK's default 1.0.0.</summary>
public sealed class VersionTests
{
    [Test]
    public void Version_prints_the_informational_version_that_git_gave_the_build()
    {
        var run = CliRun.Of("--version");
        string informational = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        string file = FileVersionInfo.GetVersionInfo(typeof(CliApp).Assembly.Location).FileVersion!;

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out.Trim(), Is.EqualTo(informational));
        // MinVer writes major.minor.patch[-pre][+metadata] and the same numbers as the file version major.minor.patch.0.
        string numbers = informational.Split('-', '+')[0];
        Assert.That(file, Is.EqualTo(numbers + ".0"));
        Assert.That(informational, Does.Not.StartWith("1.0.0+").And.Not.EqualTo("1.0.0"), "the SDK's default: MinVer did not run");
    }

    [Test]
    public void The_engine_and_the_command_carry_the_same_version()
    {
        string Of(Assembly assembly) => assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        Assert.That(Of(typeof(Seq2SeqModel).Assembly), Is.EqualTo(Of(typeof(CliApp).Assembly)));
    }
}
