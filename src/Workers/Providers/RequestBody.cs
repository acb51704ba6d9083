using System.Buffers;
using System.Text.Json;

namespace Dispatcher.Workers.Providers;

/// <summary>Rewrites a request body for one deployment without touching fields it does not own.</summary>
internal static class RequestBody
{
    /// <summary>The body with <c>model</c> set to <paramref name="model"/>; every other field is copied as it is.</summary>
    public static JsonElement WithModel(JsonElement body, string model) =>
        NamesModel(body, model) ? body : JsonDocument.Parse(WithModelUtf8(body, model)).RootElement;

    /// <summary>Whether the body already asks for <paramref name="model"/>.</summary>
    public static bool NamesModel(JsonElement body, string model) =>
        body.TryGetProperty("model", out var current) && current.ValueKind == JsonValueKind.String && current.ValueEquals(model);

    /// <summary>The UTF-8 JSON of the body with <c>model</c> set to <paramref name="model"/>.</summary>
    public static ReadOnlyMemory<byte> WithModelUtf8(JsonElement body, string model)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            foreach (var property in body.EnumerateObject())
            {
                if (!property.NameEquals("model"))
                {
                    // WriteTo copies the value as it was written, numbers and escapes included.
                    property.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
