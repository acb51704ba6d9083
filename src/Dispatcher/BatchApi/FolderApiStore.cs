namespace Dispatcher.BatchApi;

/// <summary>
/// The Batch API's files and batch records in its folder on disk (<see cref="ApiFolder"/>), beside a
/// SQLite ledger: what the processes of one machine share.
/// </summary>
internal sealed class FolderApiStore(ApiFolder folder, TimeProvider time) : IApiStore
{
    // How often a process waiting for another's finalizing looks again, and for how long at most.
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxLockWait = TimeSpan.FromMinutes(5);

    // One batch's results are written once: a second caller waits and finds them registered.
    private readonly SemaphoreSlim _finalizing = new(1, 1);

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken ct) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task AddFileAsync(FileObject file, string contentPath, CancellationToken ct)
    {
        File.Move(contentPath, folder.ContentPath(file.Id));
        // The record last: a file is listed only once its bytes are in place.
        await folder.WriteAsync(folder.FilePath(file.Id), file, ct);
    }

    /// <inheritdoc />
    public Task<FileObject?> FindFileAsync(string fileId, CancellationToken ct) =>
        ApiFolder.ReadAsync<FileObject>(folder.FilePath(fileId), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<FileObject>> ListFilesAsync(string? purpose, CancellationToken ct)
    {
        var files = new List<FileObject>();
        await foreach (var file in RecordsAsync(ct))
        {
            if (purpose is null || file.Purpose == purpose)
            {
                files.Add(file);
            }
        }

        return files;
    }

    /// <inheritdoc />
    public Task<bool> DeleteFileAsync(string fileId, CancellationToken ct) => Task.FromResult(Delete(fileId));

    /// <inheritdoc />
    /// <remarks>One pass reads every record, so it is bounded by the count of files, not their size.</remarks>
    public async Task<int> DeleteExpiredFilesAsync(long now, int limit, CancellationToken ct)
    {
        var deleted = 0;
        await foreach (var file in RecordsAsync(ct))
        {
            if (deleted >= limit)
            {
                break;
            }

            if (file.IsExpiredAt(now) && Delete(file.Id))
            {
                deleted++;
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    public string? LocalContentPath(string fileId) => folder.ContentPath(fileId);

    /// <inheritdoc />
    public async Task CopyContentAsync(string fileId, Stream target, CancellationToken ct)
    {
        await using var content = new FileStream(folder.ContentPath(fileId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
        await content.CopyToAsync(target, ct);
    }

    /// <inheritdoc />
    public Task<StoredBatch?> GetBatchAsync(string batchId, CancellationToken ct) =>
        ApiFolder.ReadAsync<StoredBatch>(folder.BatchPath(batchId), ct);

    /// <inheritdoc />
    public Task SaveBatchAsync(StoredBatch batch, CancellationToken ct) => folder.WriteAsync(folder.BatchPath(batch.Id), batch, ct);

    /// <inheritdoc />
    /// <remarks>
    /// Once across the processes sharing the folder: each finalizes holding an exclusive lock on the
    /// folder's <c>batches/.finalizing</c> file (released by the system when a process dies).
    /// </remarks>
    public async Task<StoredBatch> FinalizeOnceAsync(string batchId, Func<StoredBatch?, CancellationToken, Task<FinalizedBatch>> finalize, CancellationToken ct)
    {
        await _finalizing.WaitAsync(ct);
        try
        {
            await using var held = await LockAsync(ct);
            var stored = await GetBatchAsync(batchId, ct);
            if (stored?.FinalizedAt is not null)
            {
                return stored;
            }

            var finalized = await finalize(stored, ct);
            var added = new List<string>();
            try
            {
                foreach (var (file, contentPath) in finalized.Files)
                {
                    await AddFileAsync(file, contentPath, ct);
                    added.Add(file.Id);
                }

                await SaveBatchAsync(finalized.Batch, ct);
                return finalized.Batch;
            }
            catch
            {
                // None of a failed try's files stays: the next try writes them all again.
                foreach (var id in added)
                {
                    Delete(id);
                }

                throw;
            }
        }
        finally
        {
            _finalizing.Release();
        }
    }

    // The lock file stays in place: deleting it on release would let a waiter that opened the old
    // file and one that created a new one both hold "the" lock.
    private async Task<FileStream> LockAsync(CancellationToken ct)
    {
        var path = folder.FinalizingLockPath();
        for (var waited = TimeSpan.Zero; ; waited += LockPoll)
        {
            try
            {
                // FileShare.None: an exclusive lock (flock on Unix) that another process's open fails on.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited < MaxLockWait)
            {
                await Task.Delay(LockPoll, time, ct);
            }
        }
    }

    private bool Delete(string fileId)
    {
        if (!File.Exists(folder.FilePath(fileId)))
        {
            return false;
        }

        // The record first: a file half deleted is no longer listed.
        File.Delete(folder.FilePath(fileId));
        File.Delete(folder.ContentPath(fileId));
        return true;
    }

    private async IAsyncEnumerable<FileObject> RecordsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var path in Directory.EnumerateFiles(folder.Root, "file-*.json"))
        {
            if (await ApiFolder.ReadAsync<FileObject>(path, ct) is { } file)
            {
                yield return file;
            }
        }
    }
}
