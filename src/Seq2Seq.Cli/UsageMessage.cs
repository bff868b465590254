using System.CommandLine;
using System.CommandLine.Parsing;

namespace Seq2Seq.Cli;

/// <summary>
/// The one-line message for a command line that did not parse: an unknown command or option is named, with the
/// nearest known spelling and (for commands) the list of commands, instead of System.CommandLine's first error,
/// which for <c>seq2seq trian</c> is "Required command was not provided".
/// </summary>
internal static class UsageMessage
{
    /// <summary>Describes the first problem of <paramref name="parsed"/>, which has errors.</summary>
    public static string For(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        Command command = parsed.CommandResult.Command;
        string path = CommandPath(parsed.CommandResult);
        string help = $"(see '{path} --help')";
        if (parsed.UnmatchedTokens.Count > 0)
        {
            string token = parsed.UnmatchedTokens[0];
            if (token.Length > 1 && token[0] == '-')
            {
                var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name));
                return $"unknown option '{token}' for '{path}'{DidYouMean(token, names)} {help}";
            }

            if (command.Subcommands.Count > 0)
            {
                return $"unknown command '{token}'{DidYouMean(token, command.Subcommands.Select(c => c.Name))}; {CommandList(command)} {help}";
            }

            return $"unexpected argument '{token}' for '{path}' {help}";
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"no command given; {CommandList(command)} {help}";
        }

        return $"{parsed.Errors[0].Message} {help}";
    }

    /// <summary>The command's path as typed, e.g. <c>seq2seq train</c>.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (CommandResult? r = result; r is not null; r = r.Parent as CommandResult)
        {
            names.Add(r.Parent is null ? "seq2seq" : r.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private static string CommandList(Command command) =>
        "commands: " + string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    /// <summary>
    /// <c> (did you mean 'X'?)</c> for the known name nearest to <paramref name="typed"/>, when it is close enough
    /// to be a typo (an edit or two, a swapped pair counting as one) or <paramref name="typed"/> begins it.
    /// </summary>
    private static string DidYouMean(string typed, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in known)
        {
            int distance = name.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 2
                ? 0
                : EditDistance(typed.ToLowerInvariant(), name.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        int allowed = Math.Max(1, typed.TrimStart('-').Length / 3);
        return best is not null && bestDistance <= allowed ? $" (did you mean '{best}'?)" : string.Empty;
    }

    /// <summary>Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
