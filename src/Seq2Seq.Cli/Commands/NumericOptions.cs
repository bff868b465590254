using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// How numeric option values are read: in the invariant culture (<c>--lr 0.001</c> whatever the locale), with a
/// usage error that names the option, the value and what was expected, and with range checks done as part of the
/// parse. System.CommandLine runs option validators before it converts the tokens, and reading a value whose
/// tokens did not convert throws; so no validator here ever reads a numeric value.
/// </summary>
internal static class NumericOptions
{
    /// <summary>Accepts a whole number from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static void Range(Option<int> option, int minimum, int maximum = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse(result, option.Name, WholeRange(option.Name, minimum, maximum)) ?? default;
    }

    /// <summary>Accepts, when given, a whole number from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static void Range(Option<int?> option, int minimum, int maximum = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse(result, option.Name, WholeRange(option.Name, minimum, maximum));
    }

    /// <summary>Accepts a finite number above 0.</summary>
    public static void Positive(Option<float> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse(result, option.Name, PositiveFinite<float>(option.Name)) ?? default;
    }

    /// <summary>Accepts, when given, a finite number above 0.</summary>
    public static void Positive(Option<float?> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse(result, option.Name, PositiveFinite<float>(option.Name));
    }

    /// <summary>Accepts a number in [0, 1).</summary>
    public static void Fraction(Option<double> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse<double>(
            result,
            option.Name,
            v => v >= 0 && v < 1 ? null : string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be in [0, 1) (got {v}).")) ?? default;
    }

    /// <summary>
    /// Gives every numeric option under <paramref name="command"/> (its subcommands included) that has no range of
    /// its own this parse, so that no option falls back to System.CommandLine's culture-dependent conversion.
    /// </summary>
    public static void ParseEveryNumber(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in command.Options)
        {
            switch (option)
            {
                case Option<int> { CustomParser: null } o:
                    o.CustomParser = result => Parse<int>(result, o.Name, check: null) ?? default;
                    break;
                case Option<int?> { CustomParser: null } o:
                    o.CustomParser = result => Parse<int>(result, o.Name, check: null);
                    break;
                case Option<float> { CustomParser: null } o:
                    o.CustomParser = result => Parse<float>(result, o.Name, check: null) ?? default;
                    break;
                case Option<float?> { CustomParser: null } o:
                    o.CustomParser = result => Parse<float>(result, o.Name, check: null);
                    break;
                case Option<double> { CustomParser: null } o:
                    o.CustomParser = result => Parse<double>(result, o.Name, check: null) ?? default;
                    break;
                case Option<double?> { CustomParser: null } o:
                    o.CustomParser = result => Parse<double>(result, o.Name, check: null);
                    break;
            }
        }

        foreach (Command subcommand in command.Subcommands)
        {
            ParseEveryNumber(subcommand);
        }
    }

    /// <summary>
    /// Reads the option's value (its last token, as System.CommandLine does); a value that is not a number of type
    /// <typeparamref name="T"/>, or that <paramref name="check"/> rejects, is reported on <paramref name="result"/>.
    /// </summary>
    private static T? Parse<T>(ArgumentResult result, string name, Func<T, string?>? check)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        if (result.Tokens.Count == 0)
        {
            return null; // a missing value is an arity error, which System.CommandLine reports itself
        }

        string text = result.Tokens[^1].Value;
        bool whole = typeof(T).GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IBinaryInteger<>));
        if (!T.TryParse(text, whole ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out T value))
        {
            string expected = !whole ? "a number"
                : BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                    ? string.Create(CultureInfo.InvariantCulture, $"a whole number from {T.MinValue} to {T.MaxValue}")
                    : "a whole number";
            result.AddError($"{name} expects {expected}, got '{text}'.");
            return null;
        }

        if (check?.Invoke(value) is { } problem)
        {
            result.AddError(problem);
            return null;
        }

        return value;
    }

    private static Func<int, string?> WholeRange(string name, int minimum, int maximum) => value =>
        value < minimum ? string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {minimum} (got {value}).")
        : value > maximum ? string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {maximum} (got {value}).")
        : null;

    private static Func<T, string?> PositiveFinite<T>(string name)
        where T : struct, INumber<T> => value =>
        value > T.Zero && T.IsFinite(value) ? null : string.Create(CultureInfo.InvariantCulture, $"{name} must be a positive number (got {value}).");
}
