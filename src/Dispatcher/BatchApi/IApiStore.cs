namespace Dispatcher.BatchApi;

/// <summary>
/// Where the Batch API keeps its files (record and bytes) and its <see cref="StoredBatch"/> records:
/// a folder beside a SQLite ledger (<see cref="FolderApiStore"/>), or the PostgreSQL ledger itself
/// (<see cref="PostgresApiStore"/>), which every dispatcher sharing the ledger reads and writes, so
/// any of them answers for any file and batch. <see cref="FileStore"/> and <see cref="BatchBook"/>
/// decide what a file or batch is; a store only keeps them.
/// </summary>
internal interface IApiStore
{
    /// <summary>Prepares the store (creates its tables) before the first call.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>
    /// Keeps <paramref name="file"/> with the bytes of the local file at <paramref name="contentPath"/>
    /// (which the store may move away). The file is found only once its bytes are all kept.
    /// </summary>
    Task AddFileAsync(FileObject file, string contentPath, CancellationToken ct);

    /// <summary>The record of a file, expired or not; null when there is none of that id.</summary>
    Task<FileObject?> FindFileAsync(string fileId, CancellationToken ct);

    /// <summary>Every file's record, expired or not, of <paramref name="purpose"/> (any when null).</summary>
    Task<IReadOnlyList<FileObject>> ListFilesAsync(string? purpose, CancellationToken ct);

    /// <summary>Deletes a file, record and bytes; false when there was none.</summary>
    Task<bool> DeleteFileAsync(string fileId, CancellationToken ct);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> files whose <see cref="FileObject.ExpiresAt"/> is at or
    /// before <paramref name="now"/> (Unix seconds); returns how many this call deleted. Safe to run
    /// from several processes at once: each file is deleted, and counted, by one of them.
    /// </summary>
    Task<int> DeleteExpiredFilesAsync(long now, int limit, CancellationToken ct);

    /// <summary>The path of a file's bytes when they are on this machine's disk; null when they are not.</summary>
    string? LocalContentPath(string fileId);

    /// <summary>Writes a file's bytes to <paramref name="target"/>, streamed.</summary>
    Task CopyContentAsync(string fileId, Stream target, CancellationToken ct);

    /// <summary>The batch's record; null when none was kept.</summary>
    Task<StoredBatch?> GetBatchAsync(string batchId, CancellationToken ct);

    /// <summary>Keeps <paramref name="batch"/>, replacing any record of its id.</summary>
    Task SaveBatchAsync(StoredBatch batch, CancellationToken ct);

    /// <summary>
    /// Finalizes a batch once, whoever asks and however many ask at once: the first caller's
    /// <paramref name="finalize"/> is given the batch's record (null when none was kept) and returns the
    /// finalized record with the files it produced; the store keeps them together, or none of them
    /// when it fails. A caller that finds the record already finalized (<see cref="StoredBatch.FinalizedAt"/>),
    /// or that waited for another to finalize it, gets that record and produces nothing.
    /// </summary>
    Task<StoredBatch> FinalizeOnceAsync(string batchId, Func<StoredBatch?, CancellationToken, Task<FinalizedBatch>> finalize, CancellationToken ct);
}
