using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Seq2Seq.Cli.Output;
using Seq2Seq.Cli.Serving;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference.Serving;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// <c>seq2seq serve</c>: serves a saved model over HTTP (see docs/serving.md) with dynamic batching, on the loopback
/// interface unless <c>--host</c> says otherwise, until SIGTERM or Ctrl+C; then it refuses new sentences, finishes
/// every accepted one, and exits with 0.
/// </summary>
internal sealed class ServeCommand
{
    private readonly CliContext context;
    private readonly Option<string> model = new("--model") { Description = "The model file (written by train).", Required = true, HelpName = "MODEL" };
    private readonly Option<string> host = new("--host") { Description = "The IP address to listen on (localhost: 127.0.0.1; 0.0.0.0 or :: for every interface).", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
    private readonly Option<int> port = new("--port") { Description = "The TCP port; 0 picks a free one.", DefaultValueFactory = _ => 8080, HelpName = "PORT" };
    private readonly Option<int> maxBatch = new("--max-batch") { Description = "Most decoder rows decoded together (sentences; sentences x beam for beam search); 1 turns batching off.", DefaultValueFactory = _ => 64, HelpName = "N" };
    private readonly Option<int> maxDelay = new("--max-delay-ms") { Description = "Longest wait for a batch to fill, from its oldest sentence's arrival.", DefaultValueFactory = _ => 5, HelpName = "MS" };
    private readonly Option<string> dispatch = new("--dispatch")
    {
        Description = "When a batch that is not full is decoded: adaptive (as soon as as many sentences wait as the last batch held; a lone request at once) or full-or-delay (only when full, or after --max-delay-ms).",
        DefaultValueFactory = _ => BatchDispatch.Adaptive.Name(),
        HelpName = "POLICY",
    };

    private readonly Option<int?> maxLength = new("--max-length") { Description = "Most output tokens per sentence. Default: the longest target seen in training.", HelpName = "N" };
    private readonly Option<string> precision = CommonOptions.Precision();
    private readonly Option<int> maxBeam = new("--max-beam") { Description = "Largest beam width a request may ask for.", DefaultValueFactory = _ => 8, HelpName = "K" };
    private readonly Option<int> maxBody = new("--max-body-bytes") { Description = "Largest request body; larger ones get 413.", DefaultValueFactory = _ => 1 << 20, HelpName = "BYTES" };
    private readonly Option<int> maxSentences = new("--max-sentences") { Description = "Most sentences in one request; more get 413.", DefaultValueFactory = _ => 256, HelpName = "N" };
    private readonly Option<int> maxSentenceLength = new("--max-sentence-length") { Description = "Longest sentence in characters; longer ones get 413.", DefaultValueFactory = _ => 1000, HelpName = "N" };
    private readonly DeviceOptions device = new();
    private readonly Option<bool> noVerify = CommonOptions.NoVerify();

    /// <summary>Creates the command.</summary>
    public ServeCommand(CliContext context)
    {
        this.context = context;
        NumericOptions.Range(port, 0, 65535);
        NumericOptions.Range(maxBatch, 1);
        NumericOptions.Range(maxDelay, 0);
        NumericOptions.Range(maxLength, 1);
        dispatch.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string>();
            if (!BatchDispatches.TryParse(name, out _))
            {
                result.AddError($"--dispatch expects {string.Join(" or ", BatchDispatches.Names)}, got '{name}'");
            }
        });
        NumericOptions.Range(maxBeam, 1, 64);
        NumericOptions.Range(maxBody, 1);
        NumericOptions.Range(maxSentences, 1);
        NumericOptions.Range(maxSentenceLength, 1);
        Command = new Command("serve", "Serve a saved model over HTTP (POST /translate), batching concurrent requests on the device.")
        {
            model, host, port, maxBatch, maxDelay, dispatch, maxLength, precision, maxBeam, maxBody, maxSentences, maxSentenceLength, noVerify,
        };
        foreach (var option in device.All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    /// <summary>The System.CommandLine command.</summary>
    public Command Command { get; }

    private static IPAddress ParseHost(string? text) => text switch
    {
        null or "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(text, out var address) => address,
        _ => throw CliException.Usage($"--host expects an IP address such as 127.0.0.1 or ::1, got '{text}'"),
    };

    private int Run(ParseResult parse)
    {
        var address = ParseHost(parse.GetValue(host));
        var serverOptions = new ServerOptions
        {
            Host = address,
            Port = parse.GetValue(port),
            MaxBodyBytes = parse.GetValue(maxBody),
            MaxSentences = parse.GetValue(maxSentences),
            MaxSentenceLength = parse.GetValue(maxSentenceLength),
        };
        var serviceOptions = new TranslationServiceOptions
        {
            MaxBatch = parse.GetValue(maxBatch),
            MaxDelay = TimeSpan.FromMilliseconds(parse.GetValue(maxDelay)),
            Dispatch = BatchDispatches.TryParse(parse.GetValue(dispatch), out var policy) ? policy : BatchDispatch.Adaptive,
            MaxLength = parse.GetValue(maxLength),
            MaxBeamWidth = parse.GetValue(maxBeam),
            Precision = CommonOptions.ParsePrecision(parse.GetValue(precision)),
        };
        using ComputeDevice dev = device.Open(parse, context);
        using Seq2SeqModel m = CommonOptions.LoadCheckpoint(dev, parse.GetRequiredValue(model), parse.GetValue(noVerify), context, inference: true, CommonOptions.Logger(parse, context)).Model;
        context.Out.WriteLine($"model: {Format.Text(m.Text)}; {Format.Model(m)}");
        return Serve(m, serviceOptions, serverOptions).GetAwaiter().GetResult();
    }

    private async Task<int> Serve(Seq2SeqModel m, TranslationServiceOptions serviceOptions, ServerOptions serverOptions)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
        using var sigterm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true; // stop gracefully below rather than at once
            stop.Cancel();
        });
        await using var server = await TranslationServer.StartAsync(m, serviceOptions, serverOptions).ConfigureAwait(false);
        context.Out.WriteLine(
            $"serving on {server.Address} (max batch {serviceOptions.MaxBatch}, max delay {serviceOptions.MaxDelay.TotalMilliseconds:0.###} ms, dispatch {serviceOptions.Dispatch.Name()}, precision {serviceOptions.Precision.Name()}); SIGTERM or Ctrl+C stops after the queued sentences");
        context.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // asked to stop
        }

        await server.StopAsync().ConfigureAwait(false);
        context.Out.WriteLine("stopped: every accepted sentence was answered");
        return ExitCodes.Success;
    }
}
