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
    /// The folder uploaded and generated files are kept in; relative paths are taken from the
    /// ledger's folder. Default: <c>files</c> beside the ledger, so dispatchers sharing a ledger
    /// (an active one and its standbys) share the files too.
    /// </summary>
    [Required]
    public string FilesPath { get; set; } = "files";

    /// <summary>The largest upload accepted, in bytes (200 MB, as the Batch API).</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 200_000_000;
}
