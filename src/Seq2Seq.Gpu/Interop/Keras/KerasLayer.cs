using System.Text.Json;

namespace Seq2Seq.Gpu.Interop.Keras;

/// <summary>One layer of a Keras functional model's config: its class, its own config and the layers it reads.</summary>
/// <param name="Name">The layer's name (also the name of its weights' group).</param>
/// <param name="ClassName">Keras' class name: <c>InputLayer</c>, <c>Embedding</c>, <c>LSTM</c>, <c>Dense</c>, ...</param>
/// <param name="Config">The layer's <c>config</c> object.</param>
/// <param name="Inbound">The names of the layers whose outputs it reads, in order.</param>
internal sealed record KerasLayer(string Name, string ClassName, JsonElement Config, IReadOnlyList<string> Inbound)
{
    /// <summary>A string setting of the config, or null when absent.</summary>
    public string? Text(string key) =>
        Config.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A boolean setting of the config, or <paramref name="absent"/>.</summary>
    public bool Flag(string key, bool absent = false) =>
        Config.TryGetProperty(key, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : absent;

    /// <summary>An integer setting of the config, or null when absent.</summary>
    public int? Number(string key) =>
        Config.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : null;

    /// <summary>The activation named by <paramref name="key"/>: a string (Keras 2) or a serialized object (Keras 3).</summary>
    public string? Activation(string key)
    {
        if (!Config.TryGetProperty(key, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            JsonValueKind.Object when value.TryGetProperty("class_name", out var n) && n.ValueKind == JsonValueKind.String => n.GetString(),
            _ => value.ToString(),
        };
    }
}
