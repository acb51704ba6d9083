namespace Dispatcher.Submitter.Remote;

/// <summary>What <c>submit --dispatcher</c> asks of the Batch API beside the file: the batch's window, metadata, tenant and priority.</summary>
/// <param name="CompletionWindow">How long the batch may take; the API's default (24h) when null.</param>
/// <param name="Metadata">Kept with the batch; none when null.</param>
/// <param name="Tenant">The tenant every job is billed to; none when null.</param>
/// <param name="Priority">Every job's priority.</param>
internal sealed record RemoteSubmission(TimeSpan? CompletionWindow, IReadOnlyDictionary<string, string>? Metadata, string? Tenant, int Priority);
