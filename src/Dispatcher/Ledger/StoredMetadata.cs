using System.Text.Json;

namespace Dispatcher.Ledger;

/// <summary>A batch's metadata as the ledger stores it (<c>batches.metadata</c>): a JSON object of strings.</summary>
internal static class StoredMetadata
{
    /// <summary>The text stored for <paramref name="metadata"/>; null for none (or none of it).</summary>
    public static string? ToText(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is { Count: > 0 } ? JsonSerializer.Serialize(metadata) : null;

    /// <summary>The metadata a stored text holds; null for none.</summary>
    public static IReadOnlyDictionary<string, string>? FromText(string? text) =>
        string.IsNullOrEmpty(text) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(text);
}
