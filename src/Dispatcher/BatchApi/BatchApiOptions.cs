using System.ComponentModel.DataAnnotations;

namespace Dispatcher.BatchApi;

/// <summary>The OpenAI-compatible Batch API (<c>/v1/files</c>, <c>/v1/batches</c>), bound from the <c>BatchApi</c> section.</summary>
public sealed class BatchApiOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "BatchApi";

    /// <summary>
    /// The environment variable holding the bearer key every call must carry. The key itself is
    /// never read from configuration files, so it is never written in one. While the variable is
    /// unset or empty every call is refused 401 (the API is closed, not open).
    /// </summary>
    [Required]
    public string KeyVariable { get; set; } = "DISPATCHER_API_KEY";

    /// <summary>
    /// The folder uploaded and generated files are kept in with a SQLite ledger; relative paths are
    /// taken from the ledger's folder. Default: <c>files</c> beside the ledger, so dispatchers sharing
    /// a ledger file (an active one and its standbys) share the files too. With the PostgreSQL ledger
    /// the files and batch records are kept in the database, shared by every dispatcher on it, and
    /// this folder holds only uploads in progress and results being written.
    /// </summary>
    [Required]
    public string FilesPath { get; set; } = "files";

    /// <summary>
    /// How often files past their <c>expires_at</c> (an upload's <c>expires_after</c>) are deleted,
    /// bytes and record. An expired file is not found from the moment it expires; this bounds only
    /// how long its bytes stay on disk. From one second to one day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "BatchApi:FileSweepInterval must be from 00:00:01 to 1.00:00:00.")]
    public TimeSpan FileSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The largest upload accepted, in bytes (200 MB, as the Batch API).</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 200_000_000;
}
