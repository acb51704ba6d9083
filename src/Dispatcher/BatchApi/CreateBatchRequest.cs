namespace Dispatcher.BatchApi;

/// <summary>The body of <c>POST /v1/batches</c>.</summary>
internal sealed record CreateBatchRequest(string? InputFileId, string? Endpoint, string? CompletionWindow, Dictionary<string, string>? Metadata);
