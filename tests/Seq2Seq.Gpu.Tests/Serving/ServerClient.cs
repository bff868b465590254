using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Seq2Seq.Gpu.Tests.Serving;

/// <summary>An HTTP client of a test server: posts raw bodies, reads JSON answers.</summary>
public sealed class ServerClient(Uri address) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Posts <paramref name="body"/> (bytes as given) to <c>/translate</c>.</summary>
    public async Task<(int Status, JsonElement Body)> PostAsync(byte[] body, bool chunked = false, CancellationToken cancellationToken = default)
    {
        using HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri("/translate", UriKind.Relative), content, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Posts a JSON text to <c>/translate</c>.</summary>
    public Task<(int Status, JsonElement Body)> PostAsync(string json, CancellationToken cancellationToken = default) =>
        PostAsync(Encoding.UTF8.GetBytes(json), cancellationToken: cancellationToken);

    /// <summary>Translates sentences and returns the translated texts (failing on any status but 200).</summary>
    public async Task<List<string>> TranslateAsync(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default)
    {
        var (status, body) = await PostAsync(JsonSerializer.Serialize(new { text = sentences }), cancellationToken);
        Assert.That(status, Is.EqualTo(200), body.ToString());
        return body.GetProperty("translations").EnumerateArray().Select(t => t.GetProperty("text").GetString()!).ToList();
    }

    /// <summary>GETs a path as text.</summary>
    public Task<string> GetAsync(string path) => http.GetStringAsync(new Uri(path, UriKind.Relative));

    /// <inheritdoc />
    public void Dispose() => http.Dispose();
}
