using System.Globalization;
using System.Text.Json;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>How checkpoint metadata is written and read: snake_case JSON, and errors that name the file, key and field.</summary>
internal static class CheckpointJson
{
    /// <summary>The serializer options of every JSON metadata value (snake_case property names).</summary>
    public static JsonSerializerOptions Options { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Parses metadata value <paramref name="json"/> of <paramref name="key"/>; a <see cref="CheckpointException"/> prefixed with <paramref name="where"/> if it is not a <typeparamref name="T"/>.</summary>
    public static T Parse<T>(string json, string key, string where)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new CheckpointException($"{where}: metadata '{key}' is null");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            // InvalidOperationException: an escaped lone surrogate, which System.Text.Json reports only as it reads the string.
            throw new CheckpointException($"{where}: metadata '{key}' is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>A <see cref="CheckpointException"/> unless <paramref name="min"/> ≤ <paramref name="value"/> ≤ <paramref name="max"/>.</summary>
    public static void CheckRange(long value, string field, long min, long max, string where, string key)
    {
        if (value < min || value > max)
        {
            throw new CheckpointException(
                $"{where}: {key}: {field} {value.ToString(CultureInfo.InvariantCulture)} is out of range (allowed {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString("N0", CultureInfo.InvariantCulture)})");
        }
    }
}
