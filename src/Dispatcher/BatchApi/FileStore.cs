using Microsoft.AspNetCore.Http;

namespace Dispatcher.BatchApi;

/// <summary>
/// The files of the Files API: uploads and the batches' output and error files, kept in the
/// <see cref="IApiStore"/>. A file past its <see cref="FileObject.ExpiresAt"/> is gone from the moment
/// it expires (not listed, not found); <see cref="FileExpirySweep"/> deletes its bytes and record later.
/// </summary>
internal sealed class FileStore(IApiStore store, ApiFolder folder, TimeProvider time)
{
    /// <summary>
    /// Takes the file at <paramref name="temporaryPath"/> (in the folder) as a new file; returns it.
    /// It expires <paramref name="expiresAfter"/> after now, when given.
    /// </summary>
    public async Task<FileObject> AddAsync(string temporaryPath, string filename, string purpose, CancellationToken ct, TimeSpan? expiresAfter = null)
    {
        var file = NewFile(temporaryPath, filename, purpose, expiresAfter);
        await store.AddFileAsync(file, temporaryPath, ct);
        return file;
    }

    /// <summary>
    /// The record of a new file of the bytes at <paramref name="contentPath"/>, created now, for the
    /// caller to keep; it expires <paramref name="expiresAfter"/> after now, when given.
    /// </summary>
    public FileObject NewFile(string contentPath, string filename, string purpose, TimeSpan? expiresAfter = null)
    {
        var createdAt = Now();
        var expiresAt = expiresAfter is { } after ? createdAt + (long)after.TotalSeconds : (long?)null;
        return new FileObject("file-" + Guid.NewGuid().ToString("N"), new FileInfo(contentPath).Length, createdAt, filename, purpose, expiresAt);
    }

    /// <summary>The file; null when there is none of that id, or it has expired.</summary>
    public async Task<FileObject?> GetAsync(string fileId, CancellationToken ct)
    {
        if (!ApiFolder.IsId(fileId))
        {
            return null;
        }

        var file = await store.FindFileAsync(fileId, ct);
        return file is null || file.IsExpiredAt(Now()) ? null : file;
    }

    /// <summary>Every file not expired, newest first.</summary>
    public async Task<IReadOnlyList<FileObject>> ListAsync(string? purpose, CancellationToken ct)
    {
        var now = Now();
        var files = await store.ListFilesAsync(purpose, ct);
        return [.. files.Where(f => !f.IsExpiredAt(now)).OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id, StringComparer.Ordinal)];
    }

    /// <summary>Deletes the files expired by now, at most <paramref name="limit"/> of them; returns how many it deleted.</summary>
    public Task<int> DeleteExpiredAsync(int limit, CancellationToken ct) => store.DeleteExpiredFilesAsync(Now(), limit, ct);

    /// <summary>Deletes a file; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string fileId, CancellationToken ct) =>
        ApiFolder.IsId(fileId) && await store.DeleteFileAsync(fileId, ct);

    /// <summary>
    /// The answer to <c>GET /v1/files/{id}/content</c>: the file's bytes, streamed, with their length
    /// (from the file's record when they are not a file on this machine).
    /// </summary>
    public IResult Download(FileObject file, CancellationToken ct) =>
        store.LocalContentPath(file.Id) is { } path
            ? Results.File(path, "application/jsonl", file.Filename)
            : new SizedResult(file.Bytes, Results.Stream(target => store.CopyContentAsync(file.Id, target, ct), "application/jsonl", file.Filename));

    /// <summary>
    /// The file's bytes at a path on this machine, for reading them as a file (validating and
    /// publishing a batch's input): its own path when the store keeps it on disk here, else a
    /// temporary copy, deleted when the result is disposed.
    /// </summary>
    public async Task<LocalContent> LocalAsync(FileObject file, CancellationToken ct)
    {
        if (store.LocalContentPath(file.Id) is { } path)
        {
            return new LocalContent(path, temporary: false);
        }

        var copy = new LocalContent(folder.TemporaryPath(), temporary: true);
        try
        {
            await using (var target = new FileStream(copy.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await store.CopyContentAsync(file.Id, target, ct);
            }

            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();

    // A streamed answer whose length is known before it is written.
    private sealed class SizedResult(long length, IResult stream) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentLength = length;
            return stream.ExecuteAsync(httpContext);
        }
    }
}
