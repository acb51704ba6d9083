namespace Dispatcher.BatchApi;

/// <summary>
/// The Batch API's tables in the PostgreSQL ledger (<see cref="PostgresApiStore"/>), beside the
/// ledger's own (<see cref="Ledger.Schema"/>). Additive changes only, so a database written by an
/// older version opens unchanged. Ids and names compare byte by byte (<c>COLLATE "C"</c>), as the
/// ledger's do; times are Unix seconds, as the API shows them.
/// </summary>
internal static class BatchApiSchema
{
    public const string Create = """
        -- Each file of the Files API (uploads, and batches' output and error files): its record,
        -- and its bytes in chunks of at most PostgresApiStore.ChunkBytes, so that neither writing
        -- nor reading a file holds more than a chunk of it in memory. A file's row and chunks are
        -- written in one transaction: a file is found whole or not at all.
        CREATE TABLE IF NOT EXISTS api_files (
          file_id    TEXT COLLATE "C" PRIMARY KEY,
          bytes      BIGINT NOT NULL,
          created_at BIGINT NOT NULL,
          filename   TEXT NOT NULL,
          purpose    TEXT NOT NULL,
          expires_at BIGINT
        );
        CREATE INDEX IF NOT EXISTS api_files_expiry ON api_files(expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS api_file_chunks (
          file_id TEXT COLLATE "C" NOT NULL REFERENCES api_files(file_id) ON DELETE CASCADE,
          seq     INTEGER NOT NULL,
          data    BYTEA NOT NULL,
          PRIMARY KEY (file_id, seq)
        );
        -- What the Batch API keeps about a batch beyond the ledger's batches row (a StoredBatch, as
        -- JSON). The row is also what finalizing a batch locks, so its output and error files are
        -- written once whichever dispatcher is asked; record is NULL only inside that transaction,
        -- for a batch the CLI submitted.
        CREATE TABLE IF NOT EXISTS api_batches (
          batch_id TEXT COLLATE "C" PRIMARY KEY,
          record   TEXT
        );
        """;
}
