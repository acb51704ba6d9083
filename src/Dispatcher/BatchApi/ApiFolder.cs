using System.Text.Json;
using Dispatcher.Ledger;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// The Batch API's folder on disk (<see cref="BatchApiOptions.FilesPath"/>, beside the ledger):
/// uploads in progress and results being written under <c>tmp/</c>; and, with a SQLite ledger
/// (<see cref="FolderApiStore"/>), each file's bytes (<c>ID.jsonl</c>) with its <see cref="FileObject"/>
/// beside it (<c>ID.json</c>) and each batch's <see cref="StoredBatch"/> under <c>batches/</c>.
/// Records are written to a temporary file and renamed over the old one, so a reader never sees
/// half a record and a crash leaves the old one.
/// </summary>
internal sealed class ApiFolder
{
    public ApiFolder(IOptions<BatchApiOptions> options, IOptions<LedgerOptions> ledger)
    {
        var ledgerFolder = Path.GetDirectoryName(Path.GetFullPath(ledger.Value.Path)) ?? ".";
        Root = Path.GetFullPath(Path.Combine(ledgerFolder, options.Value.FilesPath));
        Directory.CreateDirectory(Path.Combine(Root, "batches"));
        Directory.CreateDirectory(Path.Combine(Root, "tmp"));
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>
    /// Whether <paramref name="id"/> may name a file here: ids are ours (letters, digits, <c>-</c>,
    /// <c>_</c>), so anything else, a path above all, is unknown rather than looked up.
    /// </summary>
    public static bool IsId(string id) =>
        id.Length is > 0 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A new path for an upload or generated file on its way in.</summary>
    public string TemporaryPath() => Path.Combine(Root, "tmp", Guid.NewGuid().ToString("N") + ".part");

    public string ContentPath(string fileId) => Path.Combine(Root, fileId + ".jsonl");

    public string FilePath(string fileId) => Path.Combine(Root, fileId + ".json");

    public string BatchPath(string batchId) => Path.Combine(Root, "batches", batchId + ".json");

    /// <summary>The file the processes sharing the folder lock while one finalizes a batch (<see cref="FolderApiStore"/>).</summary>
    public string FinalizingLockPath() => Path.Combine(Root, "batches", ".finalizing");

    public static async Task<T?> ReadAsync<T>(string path, CancellationToken ct)
        where T : class
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<T>(stream, ApiJson.Options, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task WriteAsync<T>(string path, T record, CancellationToken ct)
    {
        var temporary = TemporaryPath();
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, record, ApiJson.Options, ct);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
