using System.Text.Json;

namespace Dispatcher.Routing;

/// <summary>
/// Reads, once at intake, what routing rules may ask of a request body: whether it holds an
/// image, whether it declares tools, and its own <c>metadata</c> object. The job carries the
/// answers (<see cref="Ledger.NewJob"/>), so routing never parses the body.
/// </summary>
public static class BodyTraits
{
    /// <summary>Flag: the body holds an image.</summary>
    public const int Images = 1;

    /// <summary>Flag: the body declares tools or functions.</summary>
    public const int Tools = 2;

    /// <summary>The flags of <paramref name="body"/> and its <c>metadata</c> as a JSON object of text values (null for none).</summary>
    public static (int Flags, string? Metadata) Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (0, null);
        }

        var flags = 0;
        if (NonEmptyArray(body, "tools") || NonEmptyArray(body, "functions"))
        {
            flags |= Tools;
        }

        if (HoldsImage(body, "messages") || HoldsImage(body, "input"))
        {
            flags |= Images;
        }

        return (flags, Metadata(body));
    }

    /// <summary>The metadata text <see cref="Read"/> gave, as a dictionary; null for none.</summary>
    public static IReadOnlyDictionary<string, string>? ParseMetadata(string? text) =>
        string.IsNullOrEmpty(text) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(text);

    private static bool NonEmptyArray(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0;

    // Chat messages and Responses input items: an item, or a part of its content array, typed as
    // an image (image_url in chat, input_image in the Responses API, image as Anthropic writes it).
    private static bool HoldsImage(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (IsImage(item))
            {
                return true;
            }

            if (item.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && IsImage(part))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool IsImage(JsonElement part) =>
        part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
        && (type.ValueEquals("image_url") || type.ValueEquals("input_image") || type.ValueEquals("image"));

    private static string? Metadata(JsonElement body)
    {
        if (!body.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Object or JsonValueKind.Array => property.Value.GetRawText(),
                _ => property.Value.GetRawText(), // numbers, true, false, null as written
            };
        }

        return values.Count == 0 ? null : JsonSerializer.Serialize(values);
    }
}
