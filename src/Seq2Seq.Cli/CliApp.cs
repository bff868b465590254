using System.CommandLine;
using Seq2Seq.Cli.Commands;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Cli;

/// <summary>
/// The <c>seq2seq</c> command line, callable in-process: parses the arguments, runs one command, and turns every
/// error into one line <c>seq2seq: error: …</c> on standard error and an exit code (<see cref="ExitCodes"/>).
/// </summary>
internal static class CliApp
{
    /// <summary>The prefix of every error line.</summary>
    public const string ErrorPrefix = "seq2seq: error: ";

    /// <summary>Runs the command line <paramref name="args"/>.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="stdout">Where results, help and progress go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="interactive">Whether <paramref name="stdout"/> is a terminal (draws a live progress bar).</param>
    /// <param name="stdin">Where <c>translate</c> reads sentences when none are given (nothing by default).</param>
    /// <param name="cancellationToken">Stops training or evaluation at the next batch (Ctrl+C).</param>
    /// <returns>The process exit code.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false, TextReader? stdin = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var output = new GuardedOutput(stdout);
        var context = new CliContext(output, stderr, interactive, stdin ?? TextReader.Null, cancellationToken);
        try
        {
            // Parsing is inside the handlers too: whatever it throws is still one line, never a stack trace.
            RootCommand root = CreateRootCommand(context);
            ParseResult parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
            {
                WriteError(stderr, UsageMessage.For(parsed));
                return ExitCodes.Usage;
            }

            var configuration = new InvocationConfiguration
            {
                Output = output,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return parsed.Invoke(configuration);
        }
        catch (OutputClosedException)
        {
            // The reader of standard output has gone (e.g. '| head -1'): stop, and say nothing; nobody is listening.
            return ExitCodes.Success;
        }
        catch (CliException e)
        {
            WriteError(stderr, e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("seq2seq: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is Seq2SeqException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            WriteError(stderr, e.Message);
            return ExitCodes.Failure;
        }
#pragma warning disable CA1031 // The command line's last resort: any other error is still one line, never a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            WriteError(stderr, $"{e.Message} ({e.GetType().FullName})");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Builds the command tree (exposed for help-text tests).</summary>
    /// <param name="context">The streams and cancellation the commands use.</param>
    /// <returns>The root command.</returns>
    public static RootCommand CreateRootCommand(CliContext context)
    {
        var root = new RootCommand("Train and evaluate LSTM (or GRU) sequence-to-sequence models on a GPU (ILGPU; CUDA, OpenCL or the CPU accelerator).")
        {
            DevicesCommand.Create(context),
            new TrainCommand(context).Command,
            new EvalCommand(context).Command,
            new TranslateCommand(context).Command,
            new BenchCommand(context).Command,
            new DemoCommand(context).Command,
            ImportCommand.Create(context),
            ExportCommand.Create(context),
            new ServeCommand(context).Command,
        };
        root.Options.Add(CommonOptions.Verbose());
        NumericOptions.ParseEveryNumber(root);
        return root;
    }

    /// <summary>Writes <paramref name="message"/> as one error line (<see cref="ErrorPrefix"/>, line breaks folded).</summary>
    internal static void WriteError(TextWriter stderr, string message)
    {
        string oneLine = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        stderr.WriteLine(ErrorPrefix + oneLine);
    }
}
