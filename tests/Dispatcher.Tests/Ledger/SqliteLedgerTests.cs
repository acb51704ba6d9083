using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Ledger;

public sealed class SqliteLedgerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private JobLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _ledger = new JobLedger(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), TimeProvider.System);
        await _ledger.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    private static NewJob Job(string customId, string? batch = "b1", string? jobId = null) =>
        new(jobId ?? Guid.NewGuid().ToString(), batch, customId, "g", null, 0, null, null, """{"model":"g","messages":[]}""", 10, 20);

    [Fact]
    public async Task InitializeAsync_OnDisk_CreatesTheFile()
    {
        File.Exists(_ledger.FilePath).ShouldBeTrue();
        new FileInfo(_ledger.FilePath).Length.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task AcceptJobAsync_SameBatchAndCustomId_KeepsTheFirstJob()
    {
        var first = await _ledger.AcceptJobAsync(Job("a"), default);
        var second = await _ledger.AcceptJobAsync(Job("a"), default);

        second.Job.JobId.ShouldBe(first.Job.JobId);
        first.Recorded.ShouldBeTrue();
        second.Recorded.ShouldBeFalse("the second submission found the first job");
        (await _ledger.UpsertAndCount("b1")).ShouldBe(1);
    }

    [Fact]
    public async Task AcceptJobAsync_SameJobIdAgain_ReturnsTheStoredJobAsNotRecorded()
    {
        var id = Guid.NewGuid().ToString();
        var first = await _ledger.AcceptJobAsync(Job("a", jobId: id), default);
        await _ledger.MarkDispatchedAsync(id, "d1", 1, 0, null, replacing: null, default);

        var again = await _ledger.AcceptJobAsync(Job("a", jobId: id), default);

        first.Recorded.ShouldBeTrue();
        again.Recorded.ShouldBeFalse();
        again.Job.State.ShouldBe(JobState.Dispatched);
        again.Job.Attempts.ShouldBe(1);
    }

    [Fact]
    public async Task AcceptJobAsync_SameCustomIdOtherBatch_RecordsBoth()
    {
        var first = (await _ledger.AcceptJobAsync(Job("a", "b1"), default)).Job;
        var second = (await _ledger.AcceptJobAsync(Job("a", "b2"), default)).Job;

        second.JobId.ShouldNotBe(first.JobId);
    }

    [Fact]
    public async Task CompleteAsync_CalledTwice_OnlyFirstEndsTheJob()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var done = new JobCompletion(job.JobId, true, "d1", 1, """{"ok":1}""", 5, 7, 0.5m, null, null, 200, "r1", 12);

        (await _ledger.CompleteAsync(done, default)).ShouldBeTrue();
        (await _ledger.CompleteAsync(done with { Succeeded = false, ErrorKind = "ServerError" }, default)).ShouldBeFalse();

        var stored = await _ledger.GetJobAsync(job.JobId, default);
        stored!.State.ShouldBe(JobState.Succeeded);
        stored.CompletionTokens.ShouldBe(7);
        stored.Cost.ShouldBe(0.5m);
    }

    [Fact]
    public async Task MarkDispatchedAsync_AfterCompletion_DoesNotReopenTheJob()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await _ledger.CompleteAsync(new JobCompletion(job.JobId, false, null, 1, null, null, null, 0, "InvalidRequest", "bad", 400, null, null), default);

        await _ledger.MarkDispatchedAsync(job.JobId, "d2", 2, 0, null, replacing: null, default);

        (await _ledger.GetJobAsync(job.JobId, default))!.State.ShouldBe(JobState.Failed);
    }

    [Fact]
    public async Task MarkDispatchedAsync_TwoResendsReplacingOneClaim_OnlyTheFirstClaimsTheAttempt()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 10, null, replacing: null, default);

        var first = await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 11, null, replacing: 10, default);
        var second = await _ledger.MarkDispatchedAsync(job.JobId, "d2", 1, 12, null, replacing: 10, default);

        first.ShouldBeTrue();
        second.ShouldBeFalse("the claim it meant to replace was replaced already");
        var stored = (await _ledger.GetJobAsync(job.JobId, default))!;
        stored.QuotaSeq.ShouldBe(11);
        stored.DeploymentId.ShouldBe("d1");
    }

    [Fact]
    public async Task MarkDispatchedAsync_ReplacingAClaimWhoseOutcomeIsRecorded_Fails()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 10, null, replacing: null, default);
        await _ledger.RecordAttemptAsync(new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d1", ErrorKind = "Timeout", LatencyMs = 3 }, default);

        (await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 11, null, replacing: 10, default)).ShouldBeFalse("the attempt was sent: its outcome came back");

        (await _ledger.GetJobAsync(job.JobId, default))!.QuotaSeq.ShouldBe(10);
    }

    [Fact]
    public async Task GetBatchStatusAsync_MixedStates_CountsEachStateAndTotals()
    {
        await _ledger.UpsertBatchAsync("b1", 4, "file.jsonl", null, default);
        var a = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var b = (await _ledger.AcceptJobAsync(Job("b"), default)).Job;
        await _ledger.AcceptJobAsync(Job("c"), default);
        await _ledger.MarkDispatchedAsync(b.JobId, "d1", 1, 0, null, replacing: null, default);
        await _ledger.CompleteAsync(new JobCompletion(a.JobId, true, "d1", 1, "{}", 10, 20, 0.25m, null, null, 200, null, 1), default);

        var status = (await _ledger.GetBatchStatusAsync("b1", default))!;

        status.TotalJobs.ShouldBe(4);
        status.Source.ShouldBe("file.jsonl");
        status.Succeeded.ShouldBe(1);
        status.Dispatched.ShouldBe(1);
        status.Queued.ShouldBe(1);
        status.NotYetReceived.ShouldBe(1);
        status.PromptTokens.ShouldBe(10);
        status.Cost.ShouldBe(0.25);
        status.IsComplete.ShouldBeFalse();
    }

    [Fact]
    public async Task AcceptJobAsync_NoOrBlankBatchId_RecordsJobsOfNoBatch()
    {
        var none = (await _ledger.AcceptJobAsync(Job("a", batch: null), default)).Job;
        var blank = (await _ledger.AcceptJobAsync(Job("a", batch: ""), default)).Job;
        var spaces = (await _ledger.AcceptJobAsync(Job("a", batch: "  "), default)).Job;

        new[] { none.BatchId, blank.BatchId, spaces.BatchId }.ShouldAllBe(b => b == null);
        new[] { none.JobId, blank.JobId, spaces.JobId }.Distinct().Count().ShouldBe(3, "a custom id is unique within a batch, and these are in none");
        (await _ledger.ListBatchesAsync(20, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task GetLooseJobsAsync_JobsWithAndWithoutABatch_CountsOnlyThoseWithoutByState()
    {
        await _ledger.AcceptJobAsync(Job("in-batch"), default);
        var queued = (await _ledger.AcceptJobAsync(Job("q", batch: null), default)).Job;
        var sent = (await _ledger.AcceptJobAsync(Job("s", batch: null), default)).Job;
        var done = (await _ledger.AcceptJobAsync(Job("d", batch: null), default)).Job;
        await _ledger.MarkDispatchedAsync(sent.JobId, "d1", 1, 0, null, replacing: null, default);
        await _ledger.CompleteAsync(new JobCompletion(done.JobId, true, "d1", 1, "{}", 1, 2, 0.5m, null, null, 200, null, 1), default);

        var loose = await _ledger.GetLooseJobsAsync(default);

        loose.ShouldBe(new LooseJobs(Queued: 1, Dispatched: 1, Succeeded: 1, Failed: 0));
        queued.BatchId.ShouldBeNull();
    }

    [Fact]
    public async Task ListBatchesAsync_BlankBatchFromAnEarlierVersion_IsNotListedAndItsJobsAreLoose()
    {
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_ledger.FilePath}"))
        {
            await c.OpenAsync();
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO batches(batch_id, created_at) VALUES ('', '2026-01-01T00:00:00Z')");
            await Dapper.SqlMapper.ExecuteAsync(c, """
                INSERT INTO jobs(job_id, batch_id, custom_id, model_group, body, state, created_at, updated_at)
                VALUES ('old', '', 'c', 'g', '{}', 'succeeded', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
                """);
        }

        (await _ledger.ListBatchesAsync(20, default)).ShouldBeEmpty();
        (await _ledger.GetLooseJobsAsync(default)).Succeeded.ShouldBe(1);
    }

    [Fact]
    public async Task UpsertBatchAsync_SecondAnnouncement_KeepsTheFirstTotal()
    {
        await _ledger.UpsertBatchAsync("b1", 3, "one", null, default);
        await _ledger.UpsertBatchAsync("b1", 9, "two", null, default);

        (await _ledger.GetBatchStatusAsync("b1", default))!.TotalJobs.ShouldBe(3);
    }

    [Fact]
    public async Task UpsertBatchAsync_Metadata_KeptWithTheBatchAndTheFirstThatCarriesAnyWins()
    {
        await _ledger.UpsertBatchAsync("b1", 3, "one", null, null, null, default);
        await _ledger.UpsertBatchAsync("b1", 3, "one", null, null, new Dictionary<string, string> { ["team"] = "search", ["note"] = "a \"quoted\" é" }, default);
        await _ledger.UpsertBatchAsync("b1", 3, "one", null, null, new Dictionary<string, string> { ["team"] = "other" }, default);
        await _ledger.UpsertBatchAsync("b2", 1, "two", null, null, null, default);

        var metadata = (await _ledger.GetBatchStatusAsync("b1", default))!.Metadata;
        metadata.ShouldNotBeNull();
        metadata.Count.ShouldBe(2);
        metadata["team"].ShouldBe("search");
        metadata["note"].ShouldBe("a \"quoted\" é");
        (await _ledger.ListBatchesAsync(10, default)).Single(b => b.BatchId == "b1").Metadata!["team"].ShouldBe("search");
        (await _ledger.GetBatchStatusAsync("b2", default))!.Metadata.ShouldBeNull();
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
    public async Task RecordFailedBatchAsync_ListedAsFailedWithNoJobsAndNoCommandApplies()
    {
        await _ledger.RecordFailedBatchAsync("bad", "bad.jsonl", new Dictionary<string, string> { ["k"] = "v" }, default);

        var listed = (await _ledger.ListBatchesAsync(10, default)).ShouldHaveSingleItem();
        listed.BatchId.ShouldBe("bad");
        listed.State.ShouldBe(BatchState.Failed);
        listed.IsEnded.ShouldBeTrue();
        listed.TotalJobs.ShouldBe(0);
        listed.Metadata!["k"].ShouldBe("v");
        (await _ledger.PauseBatchAsync("bad", default)).ShouldBeFalse();
        (await _ledger.EndBatchAsync("bad", BatchControl.Cancelled, Dispatcher.Contracts.ErrorKind.BatchCancelled, "no", default)).Ended.ShouldBeFalse();
        (await _ledger.GetBatchStatusAsync("bad", default))!.State.ShouldBe(BatchState.Failed);
    }

    [Fact]
    public async Task ListBatchesAsync_After_PagesNewestFirstWithoutGapsOrRepeats()
    {
        foreach (var id in new[] { "b1", "b2", "b3", "b4", "b5" })
        {
            await _ledger.UpsertBatchAsync(id, 1, null, null, default);
        }

        var first = await _ledger.ListBatchesAsync(2, default);
        var second = await _ledger.ListBatchesAsync(2, default, after: first[^1].BatchId);
        var third = await _ledger.ListBatchesAsync(2, default, after: second[^1].BatchId);

        first.Select(b => b.BatchId).ShouldBe(["b5", "b4"]);
        second.Select(b => b.BatchId).ShouldBe(["b3", "b2"]);
        third.Select(b => b.BatchId).ShouldBe(["b1"]);
    }

    [Fact]
    public async Task FindUnfinishedBatchAsync_SameFile_FindsTheLatestBatchNotEnded()
    {
        await _ledger.UpsertBatchAsync("b1", 2, "f.jsonl", "digest-1", default);
        await _ledger.UpsertBatchAsync("b2", 2, "other.jsonl", "digest-2", default);
        var job = (await _ledger.AcceptJobAsync(Job("a", "b1"), default)).Job;
        await _ledger.AcceptJobAsync(Job("a", "b2"), default);

        (await _ledger.FindUnfinishedBatchAsync("digest-1", default))!.BatchId.ShouldBe("b1");
        (await _ledger.FindUnfinishedBatchAsync("digest-3", default)).ShouldBeNull();

        // Every recorded job ended, but the batch announced two and holds one: still unfinished.
        await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d1", 1, "{}", 1, 1, 0m, null, null, 200, null, 1), default);
        (await _ledger.FindUnfinishedBatchAsync("digest-1", default))!.BatchId.ShouldBe("b1");

        await _ledger.AcceptJobAsync(Job("b", "b1"), default);
        (await _ledger.CancelUnfinishedJobsAsync("b1", "superseded", default)).ShouldBe(1);
        (await _ledger.FindUnfinishedBatchAsync("digest-1", default)).ShouldBeNull();
    }

    [Fact]
    public async Task CancelUnfinishedJobsAsync_EndsOnlyUnfinishedJobsOfTheBatch()
    {
        var done = (await _ledger.AcceptJobAsync(Job("a", "b1"), default)).Job;
        await _ledger.CompleteAsync(new JobCompletion(done.JobId, true, "d1", 1, "{}", 1, 1, 0m, null, null, 200, null, 1), default);
        var queued = (await _ledger.AcceptJobAsync(Job("b", "b1"), default)).Job;
        var other = (await _ledger.AcceptJobAsync(Job("a", "b2"), default)).Job;

        (await _ledger.CancelUnfinishedJobsAsync("b1", "superseded by b9", default)).ShouldBe(1);

        var cancelled = (await _ledger.GetJobAsync(queued.JobId, default))!;
        cancelled.State.ShouldBe(JobState.Failed);
        cancelled.ErrorKind.ShouldBe("BatchCancelled");
        cancelled.ErrorMessage.ShouldBe("superseded by b9");
        (await _ledger.GetJobAsync(done.JobId, default))!.State.ShouldBe(JobState.Succeeded);
        (await _ledger.GetJobAsync(other.JobId, default))!.State.ShouldBe(JobState.Queued);
    }

    [Fact]
    public async Task RecordAttemptAsync_SameAttemptTwice_StoresOne()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var attempt = new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d1", ErrorKind = "Timeout", LatencyMs = 3 };

        (await _ledger.RecordAttemptAsync(attempt, default)).ShouldBeTrue();
        (await _ledger.RecordAttemptAsync(attempt with { ErrorKind = "ServerError" }, default)).ShouldBeFalse();

        var attempts = await _ledger.GetAttemptsAsync(job.JobId, default);
        attempts.Count.ShouldBe(1);
        attempts[0].ErrorKind.ShouldBe("Timeout");
    }

    [Fact]
    public async Task ReadFinishedJobsAsync_SkipsUnfinishedJobs_InCustomIdOrder()
    {
        foreach (var id in new[] { "c", "a", "b" })
        {
            var job = (await _ledger.AcceptJobAsync(Job(id), default)).Job;
            if (id != "b")
            {
                await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d", 1, "{}", 1, 1, 0, null, null, 200, null, 1), default);
            }
        }

        var finished = new List<string>();
        await foreach (var row in _ledger.ReadFinishedJobsAsync("b1", default))
        {
            finished.Add(row.CustomId);
        }

        finished.ShouldBe(["a", "c"]);
    }

    [Fact]
    public async Task SaveQuotaLevelsAsync_SavedTwice_LoadsTheLatest()
    {
        await _ledger.SaveQuotaLevelsAsync([new("d1", 5, 500, "2026-01-01T00:00:00Z"), new("d2", 1, 10, "2026-01-01T00:00:00Z")], default);
        await _ledger.SaveQuotaLevelsAsync([new("d1", 3, 300, "2026-01-01T00:00:01Z")], default);

        var levels = (await _ledger.LoadQuotaLevelsAsync(default)).ToDictionary(l => l.DeploymentId);

        levels["d1"].Tokens.ShouldBe(300);
        levels["d1"].SavedAt.ShouldBe("2026-01-01T00:00:01Z");
        levels["d2"].Requests.ShouldBe(1);
    }

    [Fact]
    public async Task SaveQuotaLevelsAsync_InputAndOutputBuckets_LoadsThemBackAndNoneForADeploymentWithout()
    {
        await _ledger.SaveQuotaLevelsAsync(
            [new("claude", 5, 0, "2026-01-01T00:00:00Z") { InputTokens = 1234.5, OutputTokens = 67 }, new("d2", 1, 10, "2026-01-01T00:00:00Z")],
            default);

        var levels = (await _ledger.LoadQuotaLevelsAsync(default)).ToDictionary(l => l.DeploymentId);

        (levels["claude"].InputTokens, levels["claude"].OutputTokens).ShouldBe((1234.5, 67.0));
        (levels["d2"].InputTokens, levels["d2"].OutputTokens).ShouldBe((null, null));
    }

    [Fact]
    public async Task SaveQuotaLevelsAsync_DeploymentPaused_ListPausesAsyncReadsThePauseBackUntilItEnds()
    {
        var now = new DateTimeOffset(2026, 1, 1, 22, 50, 0, TimeSpan.Zero);
        await _ledger.SaveQuotaLevelsAsync(
        [
            new("d1", 5, 500, "2026-01-01T22:50:00.0000000+00:00")
            {
                PausedUntil = "2026-01-01T22:50:13.0000000+00:00", PauseReason = "429 Retry-After 13 s", PauseWaiting = 12,
            },
            new("d2", 1, 10, "2026-01-01T22:50:00.0000000+00:00"),
        ], default);

        var pause = (await _ledger.ListPausesAsync(now, default)).ShouldHaveSingleItem();
        var level = (await _ledger.LoadQuotaLevelsAsync(default)).Single(l => l.DeploymentId == "d1");

        pause.ShouldBe(new Dispatcher.Quotas.DeploymentPause("d1", now.AddSeconds(13), "429 Retry-After 13 s", 12));
        level.PausedUntil.ShouldBe("2026-01-01T22:50:13.0000000+00:00");
        level.PauseReason.ShouldBe("429 Retry-After 13 s");
        level.PauseWaiting.ShouldBe(12);
        (await _ledger.ListPausesAsync(now.AddSeconds(13), default)).ShouldBeEmpty("a pause in the past is no pause");
    }

    [Fact]
    public async Task SaveQuotaLevelsAsync_PauseOverThenSavedWithout_ClearsIt()
    {
        var now = new DateTimeOffset(2026, 1, 1, 22, 50, 0, TimeSpan.Zero);
        await _ledger.SaveQuotaLevelsAsync([new("d1", 5, 500, "2026-01-01T22:50:00Z") { PausedUntil = "2026-01-01T22:50:13Z", PauseReason = "429 Retry-After 13 s" }], default);
        await _ledger.SaveQuotaLevelsAsync([new("d1", 5, 500, "2026-01-01T22:50:14Z")], default);

        (await _ledger.ListPausesAsync(now, default)).ShouldBeEmpty();
        (await _ledger.LoadQuotaLevelsAsync(default)).Single().PauseReason.ShouldBeNull();
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
    public async Task RecentAttemptsAsync_JobRetriedAndFellBack_ReturnsEveryAttempt()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 11, null, replacing: null, default);
        await _ledger.RecordAttemptAsync(new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d1", ErrorKind = "RateLimited", LatencyMs = 3 }, default);
        await _ledger.MarkDispatchedAsync(job.JobId, "d1", 2, 12, null, replacing: null, default);
        await _ledger.RecordAttemptAsync(new AttemptRow { JobId = job.JobId, Attempt = 2, DeploymentId = "d1", ErrorKind = "None", LatencyMs = 3 }, default);
        await _ledger.MarkDispatchedAsync(job.JobId, "d2", 3, 13, null, replacing: null, default);

        var attempts = await _ledger.RecentAttemptsAsync(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(-10), default);

        attempts.OrderBy(a => a.Sequence).Select(a => (a.DeploymentId, a.Sequence, a.RecordedAt is null, a.InputTokens + a.OutputTokens)).ShouldBe(
        [
            ("d1", 11, false, 0), // failed: its request, no tokens
            ("d1", 12, false, 30), // succeeded without reporting usage: what it reserved
            ("d2", 13, true, 30), // under way: what it reserved
        ]);
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

    [Fact]
    public async Task CompleteAsync_CostOfManyDigits_IsReadBackExactly()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var cost = 0.0000012345678901234567890123m;

        await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d1", 1, "{}", 1, 1, cost, null, null, 200, null, 1), default);

        (await _ledger.GetJobAsync(job.JobId, default))!.Cost.ShouldBe(cost);
    }

    [Fact]
    public async Task Ledger_ReopenedFromTheSameFile_KeepsJobs()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await using var reopened = new JobLedger(Options.Create(new LedgerOptions { Path = _ledger.FilePath }), TimeProvider.System);
        await reopened.InitializeAsync(default);

        (await reopened.GetJobAsync(job.JobId, default))!.CustomId.ShouldBe("a");
    }
}

internal static class LedgerTestExtensions
{
    public static async Task<long> UpsertAndCount(this JobLedger ledger, string batchId)
    {
        await ledger.UpsertBatchAsync(batchId, null, null, null, default);
        var s = await ledger.GetBatchStatusAsync(batchId, default);
        return s!.Queued + s.Dispatched + s.Finished;
    }
}
