using Microsoft.AspNetCore.Http;

namespace Seq2Seq.Cli.Serving;

/// <summary>A refused request: the HTTP status and the JSON body to answer with.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Body">The body.</param>
internal sealed record ApiError(int Status, ErrorResponse Body)
{
    /// <summary>400: the request is malformed.</summary>
    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, new ErrorResponse(message));

    /// <summary>A limit exceeded (413, or 400 for a parameter out of range), naming the limit.</summary>
    public static ApiError Limit(string limit, string message, int status = StatusCodes.Status413PayloadTooLarge) => new(status, new ErrorResponse(message, limit));
}
