namespace Dispatcher.Contracts;

/// <summary>
/// Announces a batch before its jobs, so the ledger knows how many jobs make the batch complete.
/// </summary>
/// <param name="BatchId">The batch id the jobs carry.</param>
/// <param name="TotalJobs">How many jobs the batch holds.</param>
/// <param name="Source">Where the batch came from (for example the input file name).</param>
/// <param name="SourceDigest">
/// The SHA-256 of the input file's bytes (lowercase hex), when the batch came from a file: how a
/// later run of the same file finds the batch to resume.
/// </param>
/// <param name="CompletionWindow">
/// How long the batch may take, counted from when the dispatcher first records it (the Batch API's
/// <c>completion_window</c>); null for no limit. Once it has passed, no attempt of the batch starts,
/// its jobs not yet ended end failed with <see cref="ErrorKind.BatchExpired"/> (an attempt under way
/// finishes, and is kept if it succeeds) and the batch ends <c>expired</c>. The first announcement wins.
/// </param>
/// <param name="Metadata">
/// String keys and values kept with the batch and shown back with it (the Batch API's
/// <c>metadata</c>): at most 16 pairs, keys of at most 64 characters, values of at most 512; null
/// for none. The first announcement that carries any wins.
/// </param>
public sealed record SubmitBatch(
    string BatchId,
    int TotalJobs,
    string? Source = null,
    string? SourceDigest = null,
    TimeSpan? CompletionWindow = null,
    IReadOnlyDictionary<string, string>? Metadata = null);
