using System.Text.Json;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>Typed reads of the fields provider answers carry, shared by the completion readers.</summary>
internal static class JsonFields
{
    /// <summary>A non-negative integer field (a token count).</summary>
    public static bool TryGetCount(JsonElement owner, string name, out int count)
    {
        count = 0;
        return owner.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt32(out count)
            && count >= 0;
    }
}
