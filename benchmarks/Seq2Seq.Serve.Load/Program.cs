using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Seq2Seq.Cli.Commands;
using Seq2Seq.Cli.Serving;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference.Serving;

namespace Seq2Seq.Serve.Load;

/// <summary>
/// A bounded load test of <c>seq2seq serve</c> on loopback: starts the server in this process (one device, the CPU by
/// default) for each batching configuration, then for each client count runs that many clients, each posting one
/// sentence at a time of the embedded demo sample, for a fixed window after a warm-up; prints sentences per second,
/// p50 / p99 latency, the mean device batch and its decode time, and sentences per second of this process's processor
/// time (clients' and server's together: the figure least moved by other work on a shared machine) as a Markdown table. Clients and server share the
/// machine's cores. <c>--direct</c> has the clients call the server's <see cref="TranslationService"/> instead of
/// posting (the batching without HTTP).
/// <c>--dispatch</c> names the batching policies to measure (<see cref="BatchDispatches.Names"/>, comma-separated; default
/// both), each with max-batch 64 and max-delay 5 ms, before batching off.
/// <c>dotnet run -c Release --project benchmarks/Seq2Seq.Serve.Load -- MODEL [--clients 1,8,32,128] [--seconds 10] [--dispatch adaptive,full-or-delay] [--device cpu] [--direct]</c>.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            await Console.Error.WriteLineAsync("usage: Seq2Seq.Serve.Load MODEL [--clients 1,8,32,128] [--seconds 10] [--warmup 2] [--dispatch adaptive,full-or-delay] [--device cpu|cuda|auto] [--direct]");
            return 2;
        }

        string model = args[0];
        var clients = Option(args, "--clients", "1,8,32,128").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        double seconds = double.Parse(Option(args, "--seconds", "10"), CultureInfo.InvariantCulture);
        double warmup = double.Parse(Option(args, "--warmup", "2"), CultureInfo.InvariantCulture);
        bool direct = args.Contains("--direct");
        var sentences = DemoCommand.ReadSample(null).Pairs.Select(p => p.Source).Distinct().ToList();
        var policies = new List<BatchDispatch>();
        foreach (string name in Option(args, "--dispatch", string.Join(',', BatchDispatches.Names)).Split(','))
        {
            if (!BatchDispatches.TryParse(name, out var policy))
            {
                await Console.Error.WriteLineAsync($"--dispatch: unknown policy '{name}'; expected {string.Join(", ", BatchDispatches.Names)}");
                return 2;
            }

            policies.Add(policy);
        }

        var configurations = policies
            .Select(p => ($"on (max-batch 64, max-delay 5 ms, {p.Name()})", new TranslationServiceOptions { MaxBatch = 64, MaxDelay = TimeSpan.FromMilliseconds(5), Dispatch = p }))
            .Append(("off (max-batch 1)", new TranslationServiceOptions { MaxBatch = 1, MaxDelay = TimeSpan.Zero }))
            .ToList();

        var (kind, index) = CommonOptions.ParseDeviceKind(Option(args, "--device", "cpu"));
        using var device = ComputeDevice.Open(kind, new DeviceOpenOptions { Index = index });
        using var loaded = ModelCheckpoint.Load(device, model).Model;
        Console.WriteLine($"model {model} on {device.Info.Name}; {Environment.ProcessorCount} cores; load average {LoadAverage()}; window {seconds} s after {warmup} s warm-up; {(direct ? "clients call TranslationService directly (no HTTP)" : "clients post over HTTP on loopback")}");
        Console.WriteLine();
        Console.WriteLine("| batching | clients | sentences/s | p50 ms | p99 ms | mean batch | decode ms a batch | sentences per CPU-s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, options) in configurations)
        {
            foreach (int count in clients)
            {
                var point = await Measure(loaded, name, options, count, sentences, warmup, seconds, direct);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {name} | {count} | {point.SentencesPerSecond:N0} | {point.Percentile(0.5):N1} | {point.Percentile(0.99):N1} | {point.MeanBatch:N1} | {point.DecodeMs:N2} | {point.Sentences / point.CpuSeconds:N0} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static async Task<LoadPoint> Measure(
        Seq2Seq.Gpu.Models.Seq2SeqModel model, string name, TranslationServiceOptions options, int clients, List<string> sentences, double warmup, double seconds, bool direct)
    {
        long batches = 0;
        long batched = 0;
        long decodeTicks = 0;
        bool measuring = false;
        var serviceOptions = options with
        {
            OnBatch = b =>
            {
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref batches);
                    Interlocked.Add(ref batched, b.Sentences);
                    Interlocked.Add(ref decodeTicks, b.DecodeTime.Ticks);
                }
            },
        };
        await using var server = await TranslationServer.StartAsync(model, serviceOptions, new ServerOptions { Port = 0, MaxSentences = 1 });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        double start = warmup;
        double end = warmup + seconds;
        int answered = 0;

        async Task Client(int id)
        {
            var random = new Random(id);
            while (clock.Elapsed.TotalSeconds < end)
            {
                string sentence = sentences[random.Next(sentences.Count)];
                double sent = clock.Elapsed.TotalSeconds;
                if (direct)
                {
                    await server.Service.TranslateAsync(sentence);
                }
                else
                {
                    using var response = await http.PostAsJsonAsync(new Uri("/translate", UriKind.Relative), new { text = new[] { sentence } });
                    response.EnsureSuccessStatusCode();
                    await response.Content.ReadAsByteArrayAsync();
                }

                double done = clock.Elapsed.TotalSeconds;
                if (sent >= start && done <= end)
                {
                    latencies.Add(done - sent);
                    Interlocked.Increment(ref answered);
                }

                Volatile.Write(ref measuring, done >= start && done <= end);
            }
        }

        async Task<TimeSpan> ProcessorTimeOfWindow()
        {
            using var self = Process.GetCurrentProcess();
            await Task.Delay(TimeSpan.FromSeconds(warmup));
            self.Refresh();
            var before = self.TotalProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            self.Refresh();
            return self.TotalProcessorTime - before;
        }

        var processor = ProcessorTimeOfWindow();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => Client(i))));
        double cpuSeconds = (await processor).TotalSeconds;
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        double mean = Interlocked.Read(ref batches) == 0 ? double.NaN : (double)Interlocked.Read(ref batched) / Interlocked.Read(ref batches);
        double decodeMs = Interlocked.Read(ref batches) == 0 ? double.NaN : TimeSpan.FromTicks(Interlocked.Read(ref decodeTicks)).TotalMilliseconds / Interlocked.Read(ref batches);
        return new LoadPoint(name, clients, answered, seconds, sorted, mean, decodeMs, cpuSeconds);
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
