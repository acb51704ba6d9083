namespace Dispatcher.BatchApi;

/// <summary>
/// A batch as the Batch API shows it. <c>status</c> is one of the Batch API's states, or
/// <c>paused</c> (this dispatcher's extension: <c>POST /v1/batches/{id}/pause</c> and <c>/resume</c>).
/// Times are Unix seconds.
/// </summary>
internal sealed record BatchObject(
    string Id,
    string Endpoint,
    BatchErrors? Errors,
    string InputFileId,
    string CompletionWindow,
    string Status,
    string? OutputFileId,
    string? ErrorFileId,
    long CreatedAt,
    long? InProgressAt,
    long? ExpiresAt,
    long? FinalizingAt,
    long? CompletedAt,
    long? FailedAt,
    long? ExpiredAt,
    long? CancellingAt,
    long? CancelledAt,
    RequestCounts RequestCounts,
    IReadOnlyDictionary<string, string>? Metadata)
{
    public string Object => "batch";
}

/// <summary>How many of a batch's requests there are, and how many ended each way.</summary>
internal sealed record RequestCounts(long Total, long Completed, long Failed);

/// <summary>Why a batch failed as a whole: the problems of its input file, each naming its line.</summary>
internal sealed record BatchErrors(IReadOnlyList<BatchError> Data)
{
    public string Object => "list";
}

/// <summary>One problem of an input file: <c>{"code", "message", "param", "line"}</c>.</summary>
internal sealed record BatchError(string Code, string Message, string? Param, int? Line);
