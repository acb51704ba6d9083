using System.Security.Cryptography;

namespace Dispatcher.Batches;

/// <summary>
/// The SHA-256 of a batch file's bytes, as lowercase hex: the file's identity in the ledger, so a
/// second <c>run</c> of the same file (wherever it lies, whatever its name) finds the batch an
/// earlier, interrupted run left unfinished, and a changed file is a new batch.
/// </summary>
internal static class BatchFileDigest
{
    public static async Task<string> ComputeAsync(string path, CancellationToken ct)
    {
        await using var stream = BatchFileStream.Open(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }
}
