namespace Dispatcher.BatchApi;

/// <summary>The files of the Files API: uploads and the batches' output and error files.</summary>
internal sealed class FileStore(ApiFolder folder, TimeProvider time)
{
    /// <summary>Takes the file at <paramref name="temporaryPath"/> (in the folder) as a new file; returns it.</summary>
    public async Task<FileObject> AddAsync(string temporaryPath, string filename, string purpose, CancellationToken ct)
    {
        var file = new FileObject("file-" + Guid.NewGuid().ToString("N"), new FileInfo(temporaryPath).Length, time.GetUtcNow().ToUnixTimeSeconds(), filename, purpose);
        File.Move(temporaryPath, folder.ContentPath(file.Id));
        // The record last: a file is listed only once its bytes are in place.
        await folder.WriteAsync(folder.FilePath(file.Id), file, ct);
        return file;
    }

    public Task<FileObject?> GetAsync(string fileId, CancellationToken ct) =>
        ApiFolder.IsId(fileId) ? ApiFolder.ReadAsync<FileObject>(folder.FilePath(fileId), ct) : Task.FromResult<FileObject?>(null);

    /// <summary>Every file, newest first.</summary>
    public async Task<IReadOnlyList<FileObject>> ListAsync(string? purpose, CancellationToken ct)
    {
        var files = new List<FileObject>();
        foreach (var path in Directory.EnumerateFiles(folder.Root, "file-*.json"))
        {
            if (await ApiFolder.ReadAsync<FileObject>(path, ct) is { } file && (purpose is null || file.Purpose == purpose))
            {
                files.Add(file);
            }
        }

        return [.. files.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id, StringComparer.Ordinal)];
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
}
