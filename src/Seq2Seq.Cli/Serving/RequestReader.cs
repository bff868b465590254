using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Seq2Seq.Cli.Serving;

/// <summary>
/// Reads and checks the body of <c>POST /translate</c> without trusting it: the size limit before and while reading,
/// then UTF-8, then JSON, then every field's type and range, each refusal naming what was wrong and where.
/// </summary>
internal static class RequestReader
{
    /// <summary>Reads the request's body: the request, or the refusal to answer with.</summary>
    public static async Task<(TranslateRequest? Request, ApiError? Error)> ReadAsync(HttpRequest request, ServerOptions options, int maxBeam, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxBodyBytes)
        {
            return (null, BodyTooLarge(request.ContentLength.Value, options));
        }

        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > options.MaxBodyBytes)
            {
                return (null, BodyTooLarge(body.Length + read, options));
            }

            body.Write(buffer, 0, read);
        }

        var error = Parse(body.GetBuffer().AsMemory(0, (int)body.Length), options, maxBeam, out var parsed);
        return (parsed, error);
    }

    /// <summary>Parses a whole body.</summary>
    public static ApiError? Parse(ReadOnlyMemory<byte> body, ServerOptions options, int maxBeam, out TranslateRequest? request)
    {
        request = null;
        if (body.IsEmpty)
        {
            return ApiError.BadRequest("the request body is empty; expected a JSON object such as {\"text\": [\"Go.\"]}");
        }

        if (InvalidUtf8At(body.Span) is { } offset)
        {
            return ApiError.BadRequest($"the request body is not valid UTF-8 (byte {offset})");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return ApiError.BadRequest($"malformed JSON: {e.Message}");
        }

        using (document)
        {
            return Check(document.RootElement, options, maxBeam, out request);
        }
    }

    private static ApiError? Check(JsonElement root, ServerOptions options, int maxBeam, out TranslateRequest? request)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.BadRequest($"the request body must be a JSON object, not {Kind(root)}");
        }

        JsonElement? text = null;
        int beam = 1;
        int? nbest = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return ApiError.BadRequest($"field '{property.Name}' appears twice");
            }

            switch (property.Name)
            {
                case "text":
                    text = property.Value;
                    break;
                case "beam":
                    if (Whole(property.Value, "beam") is { } beamError)
                    {
                        return beamError;
                    }

                    beam = property.Value.GetInt32();
                    break;
                case "nbest":
                    if (Whole(property.Value, "nbest") is { } nbestError)
                    {
                        return nbestError;
                    }

                    nbest = property.Value.GetInt32();
                    break;
                default:
                    return ApiError.BadRequest($"unknown field '{property.Name}'; expected text, beam and nbest");
            }
        }

        if (beam < 1 || beam > maxBeam)
        {
            return ApiError.Limit("max_beam", $"'beam' must be between 1 and {maxBeam} (got {beam})", StatusCodes.Status400BadRequest);
        }

        if (nbest is < 1 || nbest > beam)
        {
            return ApiError.BadRequest($"'nbest' must be between 1 and the beam width {beam} (got {nbest})");
        }

        if (text is not { } list)
        {
            return ApiError.BadRequest("field 'text' is missing; expected a list of sentences");
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return ApiError.BadRequest($"'text' must be a list of strings, not {Kind(list)}");
        }

        int count = list.GetArrayLength();
        if (count == 0)
        {
            return ApiError.BadRequest("'text' is an empty list; send at least one sentence");
        }

        if (count > options.MaxSentences)
        {
            return ApiError.Limit("max_sentences", $"'text' has {count} sentences; the limit is {options.MaxSentences} a request");
        }

        var sentences = new List<string>(count);
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return ApiError.BadRequest($"text[{sentences.Count}] must be a string, not {Kind(item)}");
            }

            string sentence = item.GetString()!;
            int length = sentence.EnumerateRunes().Count();
            if (length > options.MaxSentenceLength)
            {
                return ApiError.Limit("max_sentence_length", $"text[{sentences.Count}] has {length} characters; the limit is {options.MaxSentenceLength}");
            }

            sentences.Add(sentence);
        }

        request = new TranslateRequest(sentences, beam, nbest ?? 1);
        return null;
    }

    private static ApiError? Whole(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null
        : ApiError.BadRequest($"'{name}' must be a whole number, not {Kind(value)}");

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => string.Create(CultureInfo.InvariantCulture, $"the number {element.GetRawText()}"),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    private static ApiError BodyTooLarge(long bytes, ServerOptions options) =>
        ApiError.Limit("max_body_bytes", $"the request body has {(bytes == options.MaxBodyBytes + 1L ? "more than " + options.MaxBodyBytes : bytes)} bytes; the limit is {options.MaxBodyBytes}");

    /// <summary>The offset of the first byte that is not part of valid UTF-8, or null when all of it is.</summary>
    private static int? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return null;
    }
}
