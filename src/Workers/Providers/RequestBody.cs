using System.Buffers;
using System.Text.Json;

namespace Dispatcher.Workers.Providers;

/// <summary>Rewrites a request body for one deployment without touching fields it does not own.</summary>
internal static class RequestBody
{
    /// <summary>The body with <c>model</c> set to <paramref name="model"/>; every other field is copied as it is.</summary>
    public static JsonElement WithModel(JsonElement body, string model)
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
                    property.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }
}
