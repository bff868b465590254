using System.CommandLine;
using Seq2Seq.Cli;

namespace Seq2Seq.Gpu.Tests.Cli;

/// <summary>
/// Usage errors of the <c>seq2seq</c> command line: whatever is wrong with the arguments, the answer is exit code 2
/// and one line <c>seq2seq: error: …</c> naming what is wrong, never an unhandled exception.
/// </summary>
public sealed class CliUsageTests
{
    private static readonly Type[] NumberTypes = [typeof(int), typeof(long), typeof(float), typeof(double)];

    [TestCase("train", "--hidden", "abc", "a whole number")]
    [TestCase("train", "--lr", "abc", "a number")]
    [TestCase("train", "--batch", "1.5", "a whole number")]
    [TestCase("train", "--epochs", "99999999999", "a whole number")]
    [TestCase("train", "--clip", "x", "a number")]
    [TestCase("train", "--val-split", "x", "a number")]
    [TestCase("translate", "--beam", "x", "a whole number")]
    [TestCase("eval", "--skip", "x", "a whole number")]
    [TestCase("bench", "--steps", "x", "a whole number")]
    [TestCase("demo", "--epochs", "x", "a whole number")]
    public void An_unparsable_number_is_one_usage_error_naming_the_option_the_value_and_the_type(string command, string option, string value, string expected)
    {
        var run = CliRun.Of(WithRequiredOptions(command, option, value));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, option);
        Assert.That(run.ErrorLines[0], Does.Contain($"'{value}'").And.Contain(expected));
    }

    [Test]
    public void Every_numeric_option_of_every_command_rejects_a_value_that_is_not_a_number()
    {
        var problems = new List<string>();
        int checkedOptions = 0;
        foreach (Command command in Root().Subcommands)
        {
            foreach (Option option in command.Options.Where(o => NumberTypes.Contains(Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType)))
            {
                checkedOptions++;
                var run = CliRun.Of(WithRequiredOptions(command.Name, option.Name, "x1"));
                bool oneLine = run.ErrorLines.Count == 1 && run.ErrorLines[0].StartsWith(CliApp.ErrorPrefix, StringComparison.Ordinal);
                if (run.ExitCode != 2 || !oneLine || !run.Error.Contains(option.Name, StringComparison.Ordinal) || run.Error.Contains("   at ", StringComparison.Ordinal))
                {
                    problems.Add($"{command.Name} {option.Name} x1: {run}");
                }
            }
        }

        Assert.That(checkedOptions, Is.GreaterThan(15), "the walk found the numeric options");
        Assert.That(problems, Is.Empty);
    }

    // A number out of range names its option; a name outside a closed list is named itself, with the list.
    [TestCase("train", "--layers", "9", "--layers", "at most")]
    [TestCase("train", "--seed", "-1", "--seed", "at least 0")]
    [TestCase("demo", "--seed", "-1", "--seed", "at least 0")]
    [TestCase("train", "--optimizer", "sgd", "'sgd'", "'rmsprop' 'adam'")]
    public void A_value_outside_an_options_domain_still_says_what_it_may_be(string command, string option, string value, string mentions, string expected)
    {
        var run = CliRun.Of(WithRequiredOptions(command, option, value));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, mentions);
        Assert.That(run.ErrorLines[0], Does.Contain(expected));
    }

    [Test]
    public void An_unknown_command_is_named_with_a_suggestion_and_the_commands()
    {
        var run = CliRun.Of("trian", "--data", "x");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, "unknown command 'trian' (did you mean 'train'?)");
        Assert.That(run.ErrorLines[0], Does.Contain("commands: ").And.Contain("translate").And.Contain("eval").And.Contain("bench").And.Contain("demo").And.Contain("devices"));
    }

    [Test]
    public void A_missing_command_lists_the_commands()
    {
        var run = CliRun.Of();

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, "commands: ");
    }

    [Test]
    public void An_unknown_option_is_named_with_a_suggestion()
    {
        var run = CliRun.Of("train", "--data", "x", "--out", "y", "--hiden", "8");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        AssertOneErrorLine(run, "unknown option '--hiden' for 'seq2seq train' (did you mean '--hidden'?)");
    }

    /// <summary>The command line <c>command option value</c> plus a placeholder for every required option of the command.</summary>
    private static string[] WithRequiredOptions(string command, string option, string value)
    {
        Command found = Root().Subcommands.Single(c => c.Name == command);
        var args = new List<string> { command };
        foreach (Option required in found.Options.Where(o => o.Required && o.Name != option))
        {
            args.AddRange([required.Name, "placeholder"]);
        }

        args.AddRange([option, value]);
        return [.. args];
    }

    private static RootCommand Root() => CliApp.CreateRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, false, TextReader.Null, CancellationToken.None));

    private static void AssertOneErrorLine(CliRun run, string mentions)
    {
        Assert.That(run.ErrorLines, Has.Count.EqualTo(1), run.ToString());
        Assert.That(run.ErrorLines[0], Does.StartWith(CliApp.ErrorPrefix));
        Assert.That(run.ErrorLines[0], Does.Contain(mentions));
        Assert.That(run.Error, Does.Not.Contain("   at "), "no stack trace");
    }
}
