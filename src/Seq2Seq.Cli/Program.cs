namespace Seq2Seq.Cli;

/// <summary>The process entry point: wires the console and Ctrl+C to <see cref="CliApp"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
            {
                return; // a second Ctrl+C ends the process at once
            }

            e.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("seq2seq: stopping after the current batch (press Ctrl+C again to abort at once)");
            cancellation.Cancel();
        };

        return CliApp.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected, Console.In, cancellation.Token);
    }
}
