using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Seq2Seq.Cli.Output;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Inference.Serving;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Cli.Serving;

/// <summary>
/// The HTTP face of a <see cref="TranslationService"/> (ASP.NET Core minimal APIs on Kestrel): <c>POST /translate</c>,
/// <c>GET /health</c>, <c>GET /metrics</c> and the OpenAPI description at <c>/openapi/v1.json</c>. It owns the service:
/// <see cref="StopAsync"/> refuses new sentences, lets the requests in flight finish (every accepted sentence is
/// decoded), then stops. A client that disconnects cancels its sentences still queued.
/// </summary>
internal sealed class TranslationServer : IAsyncDisposable
{
    /// <summary>snake_case names; text as UTF-8 (a translation's accents, an apostrophe), not \u escapes: the answers are JSON, never HTML.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly WebApplication app;
    private readonly ServerOptions options;
    private readonly ServerMetrics metrics;
    private Task? stopping;

    private TranslationServer(WebApplication app, TranslationService service, ServerOptions options, ServerMetrics metrics)
    {
        this.app = app;
        Service = service;
        this.options = options;
        this.metrics = metrics;
    }

    /// <summary>The batching queue behind the server.</summary>
    public TranslationService Service { get; }

    /// <summary>The address the server listens on (with the port chosen when 0 was asked for).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts a server over <paramref name="model"/> (not owned).</summary>
    public static async Task<TranslationServer> StartAsync(Seq2SeqModel model, TranslationServiceOptions serviceOptions, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(serviceOptions);
        ArgumentNullException.ThrowIfNull(options);
        var metrics = new ServerMetrics();
        var batchCaller = serviceOptions.OnBatch;
        var cancelCaller = serviceOptions.OnCancelled;
        var service = new TranslationService(model, serviceOptions with
        {
            OnBatch = b => { metrics.RecordBatch(b); batchCaller?.Invoke(b); },
            OnCancelled = n => { metrics.CountCancelled(n); cancelCaller?.Invoke(n); },
        });
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "seq2seq", ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            builder.Services.Configure<JsonOptions>(j =>
            {
                j.SerializerOptions.PropertyNamingPolicy = Json.PropertyNamingPolicy;
                j.SerializerOptions.Encoder = Json.Encoder;
            });
            builder.Services.AddOpenApi();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = null; // the server's own limit applies, with a JSON answer
                k.Listen(options.Host, options.Port);
            });
            var app = builder.Build();
            var server = new TranslationServer(app, service, options, metrics);
            server.Map();
            await app.StartAsync().ConfigureAwait(false);
            string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Address = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal));
            return server;
        }
        catch
        {
            await service.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Refuses new sentences, finishes the requests in flight, and stops listening; calling again returns the same task.</summary>
    public Task StopAsync() => stopping ??= Stop();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private static IResult Error(ApiError error) => Results.Json(error.Body, Json, statusCode: error.Status);

    private async Task Stop()
    {
        var draining = Service.StopAsync();
        await app.StopAsync().ConfigureAwait(false);
        await draining.ConfigureAwait(false);
    }

    private void Map()
    {
        app.Use(async (context, next) =>
        {
            await next(context).ConfigureAwait(false);
            if (context.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType && !context.Response.HasStarted)
            {
                // Routing refuses a body that is not declared JSON before any handler runs; say so in JSON too.
                await context.Response.WriteAsJsonAsync(
                    new ErrorResponse($"the body must be JSON: send 'Content-Type: application/json' (got '{context.Request.ContentType}')"), Json).ConfigureAwait(false);
            }

            metrics.CountRequest(context.Request.Path.Value ?? string.Empty, context.Response.StatusCode);
        });
        app.MapOpenApi();
        app.MapPost("/translate", (Func<HttpContext, Task<IResult>>)Translate)
            .Accepts<TranslateRequest>("application/json")
            .Produces<TranslateResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status500InternalServerError)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Translate sentences")
            .WithDescription(
                "Translates every sentence of 'text', in order, greedy (beam 1) or by beam search, with scores. Concurrent requests are decoded "
                + "together in device batches. 400: malformed JSON, invalid UTF-8, a wrong type, an empty list, an unknown field, or 'beam' "
                + "above the server's max_beam; 413: a limit (max_body_bytes, max_sentences, max_sentence_length) exceeded; the error's "
                + "'limit' names it. 415: the body is not declared JSON (Content-Type). 503: the server is shutting down.");
        app.MapGet("/health", Health)
            .Produces<HealthResponse>()
            .WithSummary("Whether the server is up, and what it serves");
        app.MapGet("/metrics", () => Results.Text(metrics.Render(Service.QueuedSentences), "text/plain; version=0.0.4; charset=utf-8"))
            .Produces<string>(contentType: "text/plain")
            .WithSummary("Prometheus metrics: requests, sentences, batch sizes, queue and decode times");
    }

    private HealthResponse Health()
    {
        var model = Service.Model;
        return new HealthResponse(
            Service.IsStopping ? "stopping" : "ok",
            $"{Format.Text(model.Text)}; {Format.Model(model)}",
            $"{Format.Device(model.Device.Info)} [{model.Device.Ops.Backend}]",
            Service.Options.MaxBatch,
            Service.Options.MaxDelay.TotalMilliseconds,
            Service.Options.Dispatch.Name(),
            Service.Options.Precision.Name(),
            Service.QueuedSentences);
    }

    private async Task<IResult> Translate(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var (request, error) = await RequestReader.ReadAsync(context.Request, options, Service.Options.MaxBeamWidth, aborted).ConfigureAwait(false);
        if (error is not null)
        {
            return Error(error);
        }

        IReadOnlyList<ServedTranslation> results;
        try
        {
            results = await Service.TranslateAsync(request!.Text, request.Beam, request.Nbest, aborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (Service.IsStopping)
        {
            return Error(new ApiError(StatusCodes.Status503ServiceUnavailable, new ErrorResponse("the server is shutting down and accepts no new sentences")));
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return Results.Empty; // the client has gone; nobody reads an answer
        }
#pragma warning disable CA1031 // A failed decode is this request's 500, in JSON like every other error; the server goes on.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return Error(new ApiError(StatusCodes.Status500InternalServerError, new ErrorResponse($"the decode failed: {e.Message}")));
        }

        var items = results.Select(r => new TranslationItem(
            r.Text,
            r.Best.Score,
            r.Best.LogProbability,
            r.Best.Finished,
            r.SourceTruncated,
            request.Nbest > 1 ? r.Hypotheses.Select(h => new HypothesisItem(h.Text, h.Score, h.LogProbability, h.Finished)).ToList() : null)).ToList();
        return Results.Json(new TranslateResponse(items), Json);
    }
}
