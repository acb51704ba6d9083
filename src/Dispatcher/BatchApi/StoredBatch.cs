namespace Dispatcher.BatchApi;

/// <summary>
/// What the Batch API keeps about a batch beside the ledger (which holds its jobs and state):
/// the request that created it, why it failed when its file was rejected, and the files its
/// results were written to once it ended. <c>Metadata</c> is read from records written before the
/// ledger kept a batch's metadata (<see cref="Ledger.BatchStatus.Metadata"/>), never written now.
/// </summary>
internal sealed record StoredBatch(
    string Id,
    string InputFileId,
    string Endpoint,
    string CompletionWindow,
    IReadOnlyDictionary<string, string>? Metadata,
    long CreatedAt,
    long Lines,
    IReadOnlyList<BatchError>? Errors = null,
    long? FailedAt = null,
    string? OutputFileId = null,
    string? ErrorFileId = null,
    long? FinalizedAt = null);
