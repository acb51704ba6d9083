namespace Dispatcher.BatchApi;

/// <summary>
/// The files of the Files API: uploads and the batches' output and error files. A file past its
/// <see cref="FileObject.ExpiresAt"/> is gone from the moment it expires (not listed, not found);
/// <see cref="FileExpirySweep"/> deletes its bytes and record later.
/// </summary>
internal sealed class FileStore(ApiFolder folder, TimeProvider time)
{
    /// <summary>
    /// Takes the file at <paramref name="temporaryPath"/> (in the folder) as a new file; returns it.
    /// It expires <paramref name="expiresAfter"/> after now, when given.
    /// </summary>
    public async Task<FileObject> AddAsync(string temporaryPath, string filename, string purpose, CancellationToken ct, TimeSpan? expiresAfter = null)
    {
        var createdAt = time.GetUtcNow().ToUnixTimeSeconds();
        var expiresAt = expiresAfter is { } after ? createdAt + (long)after.TotalSeconds : (long?)null;
        var file = new FileObject("file-" + Guid.NewGuid().ToString("N"), new FileInfo(temporaryPath).Length, createdAt, filename, purpose, expiresAt);
        File.Move(temporaryPath, folder.ContentPath(file.Id));
        // The record last: a file is listed only once its bytes are in place.
        await folder.WriteAsync(folder.FilePath(file.Id), file, ct);
        return file;
    }

    /// <summary>The file; null when there is none of that id, or it has expired.</summary>
    public async Task<FileObject?> GetAsync(string fileId, CancellationToken ct)
    {
        if (!ApiFolder.IsId(fileId))
        {
            return null;
        }

        var file = await ApiFolder.ReadAsync<FileObject>(folder.FilePath(fileId), ct);
        return file is null || file.IsExpiredAt(Now()) ? null : file;
    }

    /// <summary>Every file not expired, newest first.</summary>
    public async Task<IReadOnlyList<FileObject>> ListAsync(string? purpose, CancellationToken ct)
    {
        var now = Now();
        var files = new List<FileObject>();
        await foreach (var file in RecordsAsync(ct))
        {
            if (!file.IsExpiredAt(now) && (purpose is null || file.Purpose == purpose))
            {
                files.Add(file);
            }
        }

        return [.. files.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Deletes the files expired by now, at most <paramref name="limit"/> of them; returns how many
    /// it deleted. One pass reads every record, so it is bounded by the count of files, not their size.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(int limit, CancellationToken ct)
    {
        var now = Now();
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

    /// <summary>The path of a file's bytes.</summary>
    public string ContentPath(string fileId) => folder.ContentPath(fileId);

    /// <summary>Deletes a file; false when there was none.</summary>
    public bool Delete(string fileId)
    {
        if (!ApiFolder.IsId(fileId) || !File.Exists(folder.FilePath(fileId)))
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

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();
}
