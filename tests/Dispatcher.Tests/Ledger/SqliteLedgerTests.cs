using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Ledger;

/// <summary>The ledger contract on a SQLite file, and what only a file does: exist on disk, and open as written by older versions.</summary>
public sealed class SqliteLedgerTests : LedgerContractTests
{
    private readonly TempDirectory _dir = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    protected override Task<LedgerOptions> NewStoreAsync() => Task.FromResult(new LedgerOptions { Path = _dir.File($"ledger-{Guid.NewGuid():N}.db") });

    [Fact]
    public async Task InitializeAsync_OnDisk_CreatesTheFile()
    {
        File.Exists(Ledger.FilePath).ShouldBeTrue();
        new FileInfo(Ledger.FilePath).Length.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task ListBatchesAsync_BlankBatchFromAnEarlierVersion_IsNotListedAndItsJobsAreLoose()
    {
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Ledger.FilePath}"))
        {
            await c.OpenAsync();
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO batches(batch_id, created_at) VALUES ('', '2026-01-01T00:00:00Z')");
            await Dapper.SqlMapper.ExecuteAsync(c, """
                INSERT INTO jobs(job_id, batch_id, custom_id, model_group, body, state, created_at, updated_at)
                VALUES ('old', '', 'c', 'g', '{}', 'succeeded', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
                """);
        }

        (await Ledger.ListBatchesAsync(20, default)).ShouldBeEmpty();
        (await Ledger.GetLooseJobsAsync(default)).Succeeded.ShouldBe(1);
    }

    [Fact]
    public async Task InitializeAsync_BatchesFromBeforeMetadata_AddsTheColumnAndReadsOldRowsWithNone()
    {
        var path = _dir.File("old-batches.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            using var create = old.CreateCommand();
            create.CommandText = "CREATE TABLE batches (batch_id TEXT PRIMARY KEY, total_jobs INTEGER, source TEXT, created_at TEXT NOT NULL); " +
                "INSERT INTO batches VALUES ('old', 2, 'old.jsonl', '2026-01-01T00:00:00.0000000+00:00')";
            await create.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
        await ledger.InitializeAsync(default);

        (await ledger.GetBatchStatusAsync("old", default))!.Metadata.ShouldBeNull();
        await ledger.UpsertBatchAsync("new", 1, null, null, null, new Dictionary<string, string> { ["k"] = "v" }, default);
        (await ledger.GetBatchStatusAsync("new", default))!.Metadata!["k"].ShouldBe("v");
    }

    [Fact]
    public async Task InitializeAsync_QuotaStateFromBeforePauses_AddsTheColumnsAndReadsOldRowsAsNotPaused()
    {
        var path = _dir.File("old-quota.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE quota_state (deployment_id TEXT PRIMARY KEY, requests REAL NOT NULL, tokens REAL NOT NULL, saved_at TEXT NOT NULL);
                INSERT INTO quota_state VALUES ('d1', 5, 500, '2026-01-01T00:00:00Z');
                """;
            await create.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
        await ledger.InitializeAsync(default);

        var level = (await ledger.LoadQuotaLevelsAsync(default)).ShouldHaveSingleItem();
        level.Tokens.ShouldBe(500);
        level.PausedUntil.ShouldBeNull();
        level.PauseWaiting.ShouldBe(0);
        (await ledger.ListPausesAsync(DateTimeOffset.UnixEpoch, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task InitializeAsync_FileFromBeforeQuotaSeq_AddsTheColumn()
    {
        var path = _dir.File("old.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            using var create = old.CreateCommand();
            create.CommandText = "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, batch_id TEXT, custom_id TEXT NOT NULL, model_group TEXT NOT NULL, tenant TEXT, priority INTEGER NOT NULL DEFAULT 0, session_key TEXT, deadline TEXT, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, deployment_id TEXT, est_prompt_tokens INTEGER NOT NULL DEFAULT 0, max_tokens INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL, error_kind TEXT, error_message TEXT, status_code INTEGER, response TEXT, request_id TEXT, latency_ms REAL, result_published INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT)";
            await create.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
        await ledger.InitializeAsync(default);
        var job = (await ledger.AcceptJobAsync(Job("a"), default)).Job;
        await ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 42, null, replacing: null, default);

        (await ledger.GetJobAsync(job.JobId, default))!.QuotaSeq.ShouldBe(42);
    }

    [Fact]
    public async Task InitializeAsync_AttemptsFromBeforeTheirSendAndReservationWereKept_AddsTheColumnsAndReadsOldRows()
    {
        // The attempts table as first released: no send time, reservation or provider time.
        var path = _dir.File("old-attempts.db");
        var recorded = DateTimeOffset.UtcNow.AddSeconds(-5).ToString("O");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            using var create = old.CreateCommand();
            create.CommandText = $"""
                CREATE TABLE jobs (job_id TEXT PRIMARY KEY, batch_id TEXT, custom_id TEXT NOT NULL, model_group TEXT NOT NULL, tenant TEXT, priority INTEGER NOT NULL DEFAULT 0, session_key TEXT, deadline TEXT, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, deployment_id TEXT, est_prompt_tokens INTEGER NOT NULL DEFAULT 0, max_tokens INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL, error_kind TEXT, error_message TEXT, status_code INTEGER, response TEXT, request_id TEXT, latency_ms REAL, result_published INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT);
                CREATE TABLE attempts (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, deployment_id TEXT NOT NULL, error_kind TEXT NOT NULL, status_code INTEGER, message TEXT, latency_ms REAL NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, recorded_at TEXT NOT NULL, PRIMARY KEY (job_id, attempt));
                INSERT INTO jobs(job_id, custom_id, model_group, body, state, attempts, deployment_id, est_prompt_tokens, max_tokens, created_at, updated_at)
                VALUES ('old', 'old', 'g', '[]', 'dispatched', 1, 'd1', 10, 20, '{recorded}', '{recorded}');
                INSERT INTO attempts VALUES ('old', 1, 'd1', 'ServerError', 500, 'boom', 40, NULL, NULL, '{recorded}');
                """;
            await create.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
        await ledger.InitializeAsync(default);
        var job = (await ledger.AcceptJobAsync(Job("a"), default)).Job;
        await ledger.MarkDispatchedAsync(job.JobId, "d2", 1, 42, null, replacing: null, default);
        await ledger.RecordAttemptAsync(new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d2", ErrorKind = "None", LatencyMs = 30, ProviderMs = 12, PromptTokens = 5, CompletionTokens = 7, CachedTokens = 2 }, default);

        var attempts = await ledger.RecentAttemptsAsync(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(-10), default);

        var before = attempts.Single(a => a.DeploymentId == "d1");
        before.RecordedAt.ShouldBe(recorded);
        before.DispatchedAt.ShouldBeNull();
        before.Sequence.ShouldBeNull();
        (before.InputTokens + before.OutputTokens).ShouldBe(0, "a failed call counts no tokens");
        var after = attempts.Single(a => a.DeploymentId == "d2");
        after.Sequence.ShouldBe(42);
        after.DispatchedAt.ShouldNotBeNull();
        after.ProviderMs.ShouldBe(12);
        (after.InputTokens, after.OutputTokens, after.CachedTokens).ShouldBe((5, 7, 2));
        attempts.Count.ShouldBe(2, "the old job's attempt has its outcome, so it is not under way");
    }

    [Fact]
    public async Task InitializeAsync_CostsKeptAsReal_ReadsThemAsTheDecimalsTheyWere()
    {
        var path = _dir.File("real-costs.db");
        var completed = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            using var create = old.CreateCommand();
            create.CommandText = $"""
                CREATE TABLE jobs (job_id TEXT PRIMARY KEY, batch_id TEXT, custom_id TEXT NOT NULL, model_group TEXT NOT NULL, tenant TEXT, priority INTEGER NOT NULL DEFAULT 0, session_key TEXT, deadline TEXT, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, deployment_id TEXT, est_prompt_tokens INTEGER NOT NULL DEFAULT 0, max_tokens INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL, error_kind TEXT, error_message TEXT, status_code INTEGER, response TEXT, request_id TEXT, latency_ms REAL, result_published INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT);
                INSERT INTO jobs(job_id, custom_id, model_group, body, state, deployment_id, cost, created_at, updated_at, completed_at)
                VALUES ('a', 'a', 'g', '[]', 'succeeded', 'd1', 0.1, '{completed}', '{completed}', '{completed}'),
                       ('b', 'b', 'g', '[]', 'succeeded', 'd1', 0.000025, '{completed}', '{completed}', '{completed}');
                """;
            await create.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
        await ledger.InitializeAsync(default);
        // A row an older version writes afterwards has only the REAL.
        await using (var older = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await older.OpenAsync();
            using var insert = older.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO jobs(job_id, custom_id, model_group, body, state, deployment_id, cost, created_at, updated_at, completed_at)
                VALUES ('c', 'c', 'g', '[]', 'succeeded', 'd1', 0.3, '{completed}', '{completed}', '{completed}')
                """;
            await insert.ExecuteNonQueryAsync();
        }

        (await ledger.GetJobAsync("a", default))!.Cost.ShouldBe(0.1m);
        (await ledger.GetJobAsync("b", default))!.CostExact.ShouldBe("0.000025", "copied once, as the decimal the REAL was");
        (await ledger.GetJobAsync("c", default))!.Cost.ShouldBe(0.3m);
        (await ledger.SpendSinceAsync(DateTimeOffset.UtcNow.AddHours(-1), default)).Single().Cost.ShouldBe(0.400025m);
    }
}
