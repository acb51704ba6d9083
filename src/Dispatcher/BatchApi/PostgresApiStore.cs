using System.Buffers;
using System.Data;
using System.Text.Json;
using Dapper;
using Dispatcher.Ledger;
using Npgsql;
using NpgsqlTypes;

namespace Dispatcher.BatchApi;

/// <summary>
/// The Batch API's files and batch records in the PostgreSQL ledger (<see cref="BatchApiSchema"/>),
/// shared by every dispatcher on it: an upload through one is found through any other, and a batch
/// created through one is read, cancelled and downloaded through any other. Bytes move in chunks of
/// <see cref="ChunkBytes"/>, streamed both ways, so memory stays flat whatever a file's size. It
/// opens connections of its own, beside the ledger's, so a large upload never waits on, or holds
/// up, the writes of jobs.
/// </summary>
internal sealed class PostgresApiStore(PostgresDialect dialect) : IApiStore, IAsyncDisposable
{
    /// <summary>The most bytes one row of <c>api_file_chunks</c> holds.</summary>
    public const int ChunkBytes = 1 << 20;

    private const string FileColumns =
        "file_id AS Id, bytes AS Bytes, created_at AS CreatedAt, filename AS Filename, purpose AS Purpose, expires_at AS ExpiresAt";

    /// <summary>The store in the PostgreSQL database <paramref name="options"/> name (as the ledger's, password included).</summary>
    public static PostgresApiStore ForOptions(LedgerOptions options) => new(PostgresDialect.ForOptions(options));

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // One process at a time, as the ledger's own schema: two creating a table at once would collide.
        await dialect.LockSchemaAsync(c, ct);
        await c.ExecuteAsync(new CommandDefinition(BatchApiSchema.Create, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <inheritdoc />
    public async Task AddFileAsync(FileObject file, string contentPath, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await InsertFileAsync(c, tx, file, contentPath, ct);
        await tx.CommitAsync(ct);
    }

    /// <inheritdoc />
    public async Task<FileObject?> FindFileAsync(string fileId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<FileObject>(new CommandDefinition(
            $"SELECT {FileColumns} FROM api_files WHERE file_id = @fileId", new { fileId }, cancellationToken: ct));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FileObject>> ListFilesAsync(string? purpose, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<FileObject>(new CommandDefinition(
            $"SELECT {FileColumns} FROM api_files WHERE CAST(@purpose AS TEXT) IS NULL OR purpose = @purpose", new { purpose }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <inheritdoc />
    public async Task<bool> DeleteFileAsync(string fileId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        // Its chunks go with it (ON DELETE CASCADE); a download under way reads on from its snapshot.
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM api_files WHERE file_id = @fileId", new { fileId }, cancellationToken: ct)) > 0;
    }

    /// <inheritdoc />
    public async Task<int> DeleteExpiredFilesAsync(long now, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        // SKIP LOCKED: two dispatchers sweeping at once take different files instead of waiting on each other's.
        return await c.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM api_files WHERE file_id IN (
              SELECT file_id FROM api_files WHERE expires_at <= @now ORDER BY expires_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            """,
            new { now, limit },
            cancellationToken: ct));
    }

    /// <inheritdoc />
    public string? LocalContentPath(string fileId) => null;

    /// <inheritdoc />
    public async Task CopyContentAsync(string fileId, Stream target, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var read = new NpgsqlCommand("SELECT data FROM api_file_chunks WHERE file_id = @id ORDER BY seq", c);
        read.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = fileId });
        // Sequential access: each chunk is streamed from the connection, never buffered whole.
        await using var reader = await read.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct))
        {
            await using var chunk = await reader.GetStreamAsync(0, ct);
            await chunk.CopyToAsync(target, ct);
        }
    }

    /// <inheritdoc />
    public async Task<StoredBatch?> GetBatchAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return Read(await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT record FROM api_batches WHERE batch_id = @batchId", new { batchId }, cancellationToken: ct)));
    }

    /// <inheritdoc />
    public async Task SaveBatchAsync(StoredBatch batch, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await SaveAsync(c, null, batch, ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Once across every dispatcher on the ledger: the batch's row is locked for the whole of it, so
    /// another caller waits and then reads the finalized record. The files and the record are
    /// committed together; a process that dies half-way commits nothing and lets the lock go with
    /// its connection, and the next caller finalizes the batch.
    /// </remarks>
    public async Task<StoredBatch> FinalizeOnceAsync(string batchId, Func<StoredBatch?, CancellationToken, Task<FinalizedBatch>> finalize, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // A row to lock even for a batch the CLI submitted, which has no record: the others wait on this insert.
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_batches(batch_id, record) VALUES (@batchId, NULL) ON CONFLICT(batch_id) DO NOTHING", new { batchId }, tx, cancellationToken: ct));
        var stored = Read(await c.QuerySingleAsync<string?>(new CommandDefinition(
            "SELECT record FROM api_batches WHERE batch_id = @batchId FOR UPDATE", new { batchId }, tx, cancellationToken: ct)));
        if (stored?.FinalizedAt is not null)
        {
            return stored;
        }

        var finalized = await finalize(stored, ct);
        foreach (var (file, contentPath) in finalized.Files)
        {
            await InsertFileAsync(c, tx, file, contentPath, ct);
        }

        await SaveAsync(c, tx, finalized.Batch, ct);
        await tx.CommitAsync(ct);
        return finalized.Batch;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => dialect.DisposeAsync();

    private static async Task InsertFileAsync(NpgsqlConnection c, NpgsqlTransaction tx, FileObject file, string contentPath, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_files(file_id, bytes, created_at, filename, purpose, expires_at) VALUES (@Id, @Bytes, @CreatedAt, @Filename, @Purpose, @ExpiresAt)",
            new { file.Id, file.Bytes, file.CreatedAt, file.Filename, file.Purpose, file.ExpiresAt },
            tx,
            cancellationToken: ct));

        await using var insert = new NpgsqlCommand("INSERT INTO api_file_chunks(file_id, seq, data) VALUES (@id, @seq, @data)", c, tx);
        insert.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = file.Id });
        var seq = new NpgsqlParameter<int>("seq", NpgsqlDbType.Integer);
        var data = new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea);
        insert.Parameters.Add(seq);
        insert.Parameters.Add(data);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await using var content = new FileStream(contentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            // One chunk a pass: the loop ends at the end of the file, so it runs at most bytes / ChunkBytes + 1 times.
            for (var n = 0; ; n++)
            {
                var length = await content.ReadAtLeastAsync(buffer.AsMemory(0, ChunkBytes), ChunkBytes, throwOnEndOfStream: false, ct);
                if (length == 0)
                {
                    break;
                }

                seq.TypedValue = n;
                data.TypedValue = buffer.AsMemory(0, length);
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task SaveAsync(NpgsqlConnection c, NpgsqlTransaction? tx, StoredBatch batch, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_batches(batch_id, record) VALUES (@id, @record) ON CONFLICT(batch_id) DO UPDATE SET record = excluded.record",
            new { id = batch.Id, record = JsonSerializer.Serialize(batch, ApiJson.Options) },
            tx,
            cancellationToken: ct));

    private static StoredBatch? Read(string? record) => record is null ? null : JsonSerializer.Deserialize<StoredBatch>(record, ApiJson.Options);

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => (NpgsqlConnection)await dialect.OpenAsync(ct);
}
