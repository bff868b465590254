using System.Text;
using Microsoft.Win32.SafeHandles;

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

        // Sentences in and translations out are UTF-8 whatever the console's code page or the locale's charset says
        // (Windows' 437, an ISO-8859 LANG): French accents and U+202F are read and written as UTF-8 bytes.
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        try
        {
            Console.InputEncoding = utf8;
            Console.OutputEncoding = utf8;
        }
        catch (IOException)
        {
            // No console to set (a Windows process without one): the streams keep their encodings.
        }
        bool redirected = Console.IsOutputRedirected;
        using TextWriter? pipe = redirected ? OpenRedirectedOutput() : null;
        return CliApp.Run(args, pipe ?? Console.Out, Console.Error, interactive: !redirected, Console.In, cancellation.Token);
    }

    /// <summary>
    /// Standard output, when redirected to a pipe, as a plain stream on descriptor 1 (Linux and macOS). Console.Out
    /// treats a broken pipe as a successful write there, so <c>seq2seq translate … | head -1</c> would go on
    /// translating every line for nobody; a FileStream reports it (IOException with EPIPE), and the command stops.
    /// </summary>
    /// <returns>The writer, or null where Console.Out is kept (Windows, a regular file, or descriptor 1 not usable as a
    /// stream).</returns>
    private static StreamWriter? OpenRedirectedOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (stream.CanSeek)
            {
                // A regular file (`> out.txt`, `>> log`) has no reader to lose, and a FileStream writes it at offsets
                // of its own (pwrite), which the shell's shared file offset does not follow: what the shell or a later
                // command writes to the same descriptor would overwrite this output. Console.Out writes at the offset.
                stream.Dispose();
                return null;
            }

            return new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
