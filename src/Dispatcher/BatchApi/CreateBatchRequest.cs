using System.Text.Json;

namespace Dispatcher.BatchApi;

/// <summary>
/// The body of <c>POST /v1/batches</c>. <paramref name="Tenant"/> and <paramref name="Priority"/>
/// are this dispatcher's extension (<see cref="BatchTenancy"/>), read as raw JSON so a value of the
/// wrong type is refused naming its field rather than as unreadable JSON.
/// </summary>
internal sealed record CreateBatchRequest(
    string? InputFileId,
    string? Endpoint,
    string? CompletionWindow,
    Dictionary<string, string>? Metadata,
    JsonElement? Tenant = null,
    JsonElement? Priority = null);
