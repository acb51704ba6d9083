namespace Dispatcher.BatchApi;

/// <summary>
/// A file as the Files API shows it: <c>{"id", "object": "file", "bytes", "created_at", "filename",
/// "purpose", "status", "status_details", "expires_at"}</c>. Also what is kept beside the file on disk.
/// <c>expires_at</c> (Unix seconds) is when the file is gone, as its upload's <c>expires_after</c>
/// asked; null for a file kept until deleted.
/// </summary>
internal sealed record FileObject(string Id, long Bytes, long CreatedAt, string Filename, string Purpose, long? ExpiresAt = null)
{
    /// <summary>Uploads for a batch.</summary>
    public const string BatchPurpose = "batch";

    /// <summary>A batch's output and error files.</summary>
    public const string BatchOutputPurpose = "batch_output";

    public string Object => "file";

    public string Status => "processed";

    public string? StatusDetails => null;

    /// <summary>Whether the file has expired at <paramref name="now"/> (Unix seconds).</summary>
    public bool IsExpiredAt(long now) => ExpiresAt <= now;
}

/// <summary>The answer to <c>DELETE /v1/files/{id}</c>.</summary>
internal sealed record FileDeleted(string Id, bool Deleted)
{
    public string Object => "file";
}

/// <summary>A page of a list: <c>{"object": "list", "data", "first_id", "last_id", "has_more"}</c>.</summary>
internal sealed record ListPage<T>(IReadOnlyList<T> Data, string? FirstId, string? LastId, bool HasMore)
{
    public string Object => "list";
}
