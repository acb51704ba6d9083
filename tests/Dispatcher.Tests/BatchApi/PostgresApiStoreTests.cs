using Dispatcher.BatchApi;
using Dispatcher.Ledger;
using Dispatcher.Tests.Ledger;
using Npgsql;

namespace Dispatcher.Tests.BatchApi;

/// <summary>
/// The store contract in the PostgreSQL ledger (a private cluster, a schema per test), two processes
/// each with a folder of its own: what they share is the database alone. And what only a shared
/// database needs: processes sweeping expired files at once.
/// </summary>
[Collection(PostgresClusterFixture.Name)]
public sealed class PostgresApiStoreTests(PostgresClusterFixture postgres) : ApiStoreContractTests
{
    private string? _connectionString;

    protected override string LedgerPath(string process) => Dir.File(Path.Combine(process, "ledger.db"));

    private protected override async Task<IApiStore> OpenAsync(string process, ApiFolder folder)
    {
        if (_connectionString is null)
        {
            var database = await postgres.DatabaseForAsync(GetType());
            var schema = "t" + Guid.NewGuid().ToString("N");
            _connectionString = await postgres.Cluster.CreateSchemaAsync(database, schema);
        }

        var store = PostgresApiStore.ForOptions(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = _connectionString });
        await store.InitializeAsync(default);
        return store;
    }

    [Fact]
    public async Task DeleteExpiredAsync_TwoProcessesSweepAtOnce_EachExpiredFileDeletedAndCountedOnce()
    {
        const int Expired = 40;
        for (var i = 0; i < Expired; i++)
        {
            await AddAsync(First.Files, First.Folder, TimeSpan.FromHours(1));
        }

        var kept = await AddAsync(Second.Files, Second.Folder);
        Time.Advance(TimeSpan.FromHours(1));

        // Each process sweeps in passes of 7 until a pass finds nothing, both at once.
        async Task<int> SweepAsync(FileStore files)
        {
            var total = 0;
            for (var pass = 0; pass < Expired; pass++)
            {
                var deleted = await files.DeleteExpiredAsync(7, default);
                if (deleted == 0)
                {
                    break;
                }

                total += deleted;
            }

            return total;
        }

        var counts = await Task.WhenAll(Task.Run(() => SweepAsync(First.Files)), Task.Run(() => SweepAsync(Second.Files)));

        counts.Sum().ShouldBe(Expired);
        (await First.Files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([kept.Id]);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var chunks = new NpgsqlCommand("SELECT COUNT(*) FROM api_file_chunks", connection);
        ((long)(await chunks.ExecuteScalarAsync())!).ShouldBe(1L, "the expired files' bytes went with their records");
    }

    [Fact]
    public async Task InitializeAsync_SeveralProcessesOnAFreshDatabaseAtOnce_AllSucceed()
    {
        var schema = "t" + Guid.NewGuid().ToString("N");
        var connectionString = await postgres.Cluster.CreateSchemaAsync(await postgres.DatabaseForAsync(GetType()), schema);
        var stores = Enumerable.Range(0, 4)
            .Select(_ => PostgresApiStore.ForOptions(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = connectionString }))
            .ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => s.InitializeAsync(default)));

            await stores[0].SaveBatchAsync(new StoredBatch("batch_x", "", "/v1/chat/completions", "24h", null, 1, 1), default);
            (await stores[3].GetBatchAsync("batch_x", default)).ShouldNotBeNull();
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
