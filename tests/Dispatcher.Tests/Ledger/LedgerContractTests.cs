using Dispatcher.Ledger;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Ledger;

/// <summary>
/// What every ledger engine must do alike: dedupe by (batch, custom id), end a job once, claim an
/// attempt once, count batches, keep quota levels, pauses and batch commands. A subclass per engine
/// gives each test a store of its own (<see cref="NewStoreAsync"/>).
/// </summary>
public abstract class LedgerContractTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
    private LedgerOptions _store = null!;

    // The ledger on the real clock, and one on the same store on a fake clock, for tests about time.
    private JobLedger _ledger = null!;
    private JobLedger _timed = null!;

    /// <summary>The ledger on the real clock.</summary>
    protected JobLedger Ledger => _ledger;

    public virtual async Task InitializeAsync()
    {
        _store = await NewStoreAsync();
        _ledger = Open(TimeProvider.System);
        await _ledger.InitializeAsync(CancellationToken.None);
        _timed = Open(_time);
    }

    public virtual async Task DisposeAsync()
    {
        await _timed.DisposeAsync();
        await _ledger.DisposeAsync();
    }

    /// <summary>The options of a new, empty store of this engine, the test's alone (another on each call).</summary>
    protected abstract Task<LedgerOptions> NewStoreAsync();

    /// <summary>Another ledger on the test's store (as another process would open it), for the caller to dispose.</summary>
    protected JobLedger Open(TimeProvider time) => new(Options.Create(_store), time);

    /// <summary>Another ledger on the test's store that asks <paramref name="faults"/> before each write, by the writing method's name.</summary>
    protected JobLedger Open(Func<string, Exception?> faults) => new(Options.Create(_store), TimeProvider.System, faults);

    protected static NewJob Job(string customId, string? batch = "b1", string? jobId = null) =>
        new(jobId ?? Guid.NewGuid().ToString(), batch, customId, "g", null, 0, null, null, """{"model":"g","messages":[]}""", 10, 20);

    [Fact]
    public async Task InitializeAsync_SeveralProcessesOnAFreshStoreAtOnce_AllSucceedOnOneSchema()
    {
        var store = await NewStoreAsync();
        var ledgers = Enumerable.Range(0, 4).Select(_ => new JobLedger(Options.Create(store), TimeProvider.System)).ToList();
        try
        {
            await Task.WhenAll(ledgers.Select(l => l.InitializeAsync(default)));

            var job = (await ledgers[0].AcceptJobAsync(Job("a"), default)).Job;
            (await ledgers[3].GetJobAsync(job.JobId, default))!.CustomId.ShouldBe("a");
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }
    }

    private async Task<string> JobAsync()
    {
        var id = Guid.NewGuid().ToString();
        await _timed.AcceptJobAsync(new NewJob(id, "b", id, "g", null, 0, null, null, """{"model":"g","messages":[]}""", 10, 20), default);
        return id;
    }

    private async Task<IEnumerable<string>> IdleAsync(DateTimeOffset lanesKeptSince, int lanes) =>
        (await _timed.ListIdleUnfinishedJobsAsync(_time.GetUtcNow() + TimeSpan.FromHours(1), lanesKeptSince, lanes, 10, default)).Select(j => j.JobId);

    [Fact]
    public async Task FindRecordedCustomIdsAsync_SomeRecordedInTheBatch_ReturnsOnlyThose()
    {
        await Ledger.AcceptJobAsync(Job("a"), default);
        await Ledger.AcceptJobAsync(Job("c"), default);
        await Ledger.AcceptJobAsync(Job("b", batch: "other"), default);

        var recorded = await Ledger.FindRecordedCustomIdsAsync("b1", ["a", "b", "c", "d"], default);

        recorded.Order(StringComparer.Ordinal).ShouldBe(["a", "c"]);
    }

    [Fact]
    public async Task GetJobStatesAsync_KnownAndUnknownIds_ReturnsTheKnownOnesStates()
    {
        var first = (await Ledger.AcceptJobAsync(Job("a"), default)).Job;
        var second = (await Ledger.AcceptJobAsync(Job("b"), default)).Job;

        var states = await Ledger.GetJobStatesAsync([first.JobId, Guid.NewGuid().ToString(), second.JobId], default);

        states.Select(s => s.JobId).Order(StringComparer.Ordinal).ShouldBe(new[] { first.JobId, second.JobId }.Order(StringComparer.Ordinal));
        states.ShouldAllBe(s => s.State == "queued" && s.Replays == 0);
    }

    [Fact]
    public async Task AcceptJobAsync_NewJob_ReturnsTheJobAsAReadOfItReturnsIt()
    {
        var job = new NewJob(
            Guid.NewGuid().ToString(), "b1", "every-field", "g", "tenant-1", 3, "session-1",
            new DateTimeOffset(2026, 1, 5, 12, 30, 0, TimeSpan.FromHours(2)), """{"model":"g","input":"x"}""", 11, 0,
            "/v1/embeddings", 5, """{"k":"v"}""");

        var accepted = await _ledger.AcceptJobAsync(job, default);

        accepted.Recorded.ShouldBeTrue();
        accepted.Job.ShouldBe(await _ledger.GetJobAsync(job.JobId, default));
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
    public async Task AcceptJobAsync_IdOfOneJobWithTheCustomIdOfAnother_ReturnsTheJobOfThatId()
    {
        var (a, b) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        await _ledger.AcceptJobAsync(Job("first", jobId: a), default);
        await _ledger.AcceptJobAsync(Job("second", jobId: b), default);

        var again = await _ledger.AcceptJobAsync(Job("second", jobId: a), default);

        again.Recorded.ShouldBeFalse();
        (again.Job.JobId, again.Job.CustomId).ShouldBe((a, "first"));
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
    public async Task RecordSuccessAsync_ReportedTwice_RecordsTheAttemptAndEndsTheJobOnce()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var attempt = new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d1", ErrorKind = "None", LatencyMs = 3, PromptTokens = 5, CompletionTokens = 7 };
        var done = new JobCompletion(job.JobId, true, "d1", 1, """{"ok":1}""", 5, 7, 0.5m, null, null, 200, "r1", 3);

        (await _ledger.RecordSuccessAsync(attempt, done, default)).ShouldBe((true, true));
        (await _ledger.RecordSuccessAsync(attempt with { LatencyMs = 9 }, done with { Response = """{"ok":2}""" }, default)).ShouldBe((false, false));

        var attempts = await _ledger.GetAttemptsAsync(job.JobId, default);
        attempts.Count.ShouldBe(1);
        attempts[0].LatencyMs.ShouldBe(3);
        var stored = await _ledger.GetJobAsync(job.JobId, default);
        stored!.State.ShouldBe(JobState.Succeeded);
        stored.Response.ShouldBe("""{"ok":1}""");
    }

    [Fact]
    public async Task RecordSuccessAsync_JobAlreadyEnded_RecordsTheAttemptOnlyAndLeavesTheJob()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await _ledger.CompleteAsync(new JobCompletion(job.JobId, false, "d1", 1, null, null, null, 0m, "Timeout", "slow", null, null, null), default);
        var attempt = new AttemptRow { JobId = job.JobId, Attempt = 1, DeploymentId = "d1", ErrorKind = "None", LatencyMs = 3 };

        (await _ledger.RecordSuccessAsync(attempt, new JobCompletion(job.JobId, true, "d1", 1, "{}", 5, 7, 0.5m, null, null, 200, null, 3), default)).ShouldBe((true, false));

        (await _ledger.GetAttemptsAsync(job.JobId, default)).Count.ShouldBe(1);
        (await _ledger.GetJobAsync(job.JobId, default))!.State.ShouldBe(JobState.Failed);
    }

    [Fact]
    public async Task MarkResultPublishedAsync_ManyJobsWhileTheWriterIsBusy_MarksThemAllInOneWrite()
    {
        // More jobs than one statement marks, asked for while the writer holds the first.
        var jobs = await EndedJobsAsync(ResultMarks.StatementSize * 2 + 3);
        var writes = 0;
        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var ledger = Open(name =>
        {
            if (name == nameof(JobLedger.MarkResultPublishedAsync) && Interlocked.Increment(ref writes) == 1)
            {
                writing.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }

            return null;
        });

        var first = ledger.MarkResultPublishedAsync(jobs[0], default);
        writing.Wait(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        var rest = jobs.Skip(1).Select(j => ledger.MarkResultPublishedAsync(j, default)).ToList();
        release.Set();
        await Task.WhenAll(rest.Append(first));

        writes.ShouldBe(1);
        (await _ledger.ListUnpublishedEndedJobsAsync("b1", "", 1000, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task MarkResultPublishedAsync_WriteFailsOnce_IsTriedAgainAndCommits()
    {
        var jobs = await EndedJobsAsync(2);
        var writes = 0;
        await using var ledger = Open(name =>
            name == nameof(JobLedger.MarkResultPublishedAsync) && Interlocked.Increment(ref writes) == 1
                ? new Microsoft.Data.Sqlite.SqliteException("SQLite Error 5: 'database is locked'.", 5)
                : null);

        await Task.WhenAll(jobs.Select(j => ledger.MarkResultPublishedAsync(j, default)));

        writes.ShouldBe(2);
        (await _ledger.ListUnpublishedEndedJobsAsync("b1", "", 10, default)).ShouldBeEmpty();
        (await _ledger.GetJobAsync(jobs[1], default))!.ResultPublished.ShouldBe(1);
    }

    [Fact]
    public async Task MarkResultPublishedAsync_WriteFailsEveryTry_FailsAndARestartedLedgerListsTheJobUnpublished()
    {
        var jobs = await EndedJobsAsync(2);
        var writes = 0;
        Exception? Busy(string name)
        {
            if (name != nameof(JobLedger.MarkResultPublishedAsync))
            {
                return null;
            }

            Interlocked.Increment(ref writes);
            return new Microsoft.Data.Sqlite.SqliteException("SQLite Error 5: 'database is locked'.", 5);
        }

        await using (var ledger = Open(Busy))
        {
            await Should.ThrowAsync<Microsoft.Data.Sqlite.SqliteException>(ledger.MarkResultPublishedAsync(jobs[0], default));
        }

        writes.ShouldBe(ResultMarks.Tries);
        await using var restarted = Open(TimeProvider.System);
        (await restarted.ListUnpublishedEndedJobsAsync("b1", "", 10, default)).ShouldBe(jobs, ignoreOrder: true);
    }

    private async Task<List<string>> EndedJobsAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var job = (await _ledger.AcceptJobAsync(Job("ended-" + i), default)).Job;
            await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d", 1, "{}", 1, 1, 0, null, null, 200, null, 1), default);
            ids.Add(job.JobId);
        }

        return ids;
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
    public async Task CompleteAsync_CostOfManyDigits_IsReadBackExactly()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var cost = 0.0000012345678901234567890123m;

        await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d1", 1, "{}", 1, 1, cost, null, null, 200, null, 1), default);

        (await _ledger.GetJobAsync(job.JobId, default))!.Cost.ShouldBe(cost);
    }

    [Fact]
    public async Task Ledger_ReopenedOnTheSameStore_KeepsJobs()
    {
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        await using var reopened = Open(TimeProvider.System);
        await reopened.InitializeAsync(default);

        (await reopened.GetJobAsync(job.JobId, default))!.CustomId.ShouldBe("a");
    }

    [Fact]
    public async Task RecordBatchRequestAsync_Cancel_ListedPendingWithItsReason()
    {
        var id = await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, "wrong prompt", default);

        var request = (await _timed.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem();

        request.ShouldBe(new BatchRequest(id, "b", BatchRequestCommand.Cancel, "wrong prompt", "2026-01-05T10:00:00.0000000+00:00"));
    }

    [Fact]
    public async Task RecordBatchRequestAsync_BlankReason_KeptAsNone()
    {
        await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Pause, " ", default);

        (await _timed.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem().Reason.ShouldBeNull();
    }

    [Fact]
    public async Task RecordBatchRequestAsync_UnknownCommand_Throws()
    {
        await Should.ThrowAsync<ArgumentException>(() => _timed.RecordBatchRequestAsync("b", "delete", null, default));

        (await _timed.ListPendingBatchRequestsAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ListPendingBatchRequestsAsync_PauseThenResumeAtTheSameInstant_InTheOrderRecorded()
    {
        var pause = await _timed.RecordBatchRequestAsync("a", BatchRequestCommand.Pause, null, default);
        var resume = await _timed.RecordBatchRequestAsync("a", BatchRequestCommand.Resume, null, default);
        _time.Advance(TimeSpan.FromSeconds(1));
        var later = await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, null, default);

        var pending = await _timed.ListPendingBatchRequestsAsync(10, default);

        pending.Select(r => r.RequestId).ShouldBe([pause, resume, later], "oldest first; recorded at one instant, in the order recorded");
    }

    [Fact]
    public async Task ListPendingBatchRequestsAsync_MoreThanTheLimit_TheOldestUpToIt()
    {
        var first = await _timed.RecordBatchRequestAsync("a", BatchRequestCommand.Pause, null, default);
        var second = await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Pause, null, default);
        await _timed.RecordBatchRequestAsync("c", BatchRequestCommand.Pause, null, default);

        (await _timed.ListPendingBatchRequestsAsync(2, default)).Select(r => r.RequestId).ShouldBe([first, second]);
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_ClaimedTwice_OnlyTheFirstClaimsAndItIsNoLongerPending()
    {
        var id = await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, null, default);

        var first = await _timed.ClaimBatchRequestAsync(id, default);
        var second = await _timed.ClaimBatchRequestAsync(id, default);

        first.ShouldBeTrue();
        second.ShouldBeFalse("a request is applied once");
        (await _timed.ListPendingBatchRequestsAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_TwoDispatchersOnOneFileAtOnce_ExactlyOneClaims()
    {
        await using var other = Open(_time);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await _timed.RecordBatchRequestAsync($"b{i}", BatchRequestCommand.Cancel, null, default));
        }

        var claims = await Task.WhenAll(ids.Select(async id =>
        {
            var both = await Task.WhenAll(_timed.ClaimBatchRequestAsync(id, default), other.ClaimBatchRequestAsync(id, default));
            return both.Count(claimed => claimed);
        }));

        claims.ShouldAllBe(c => c == 1, "of two dispatchers on one ledger, exactly one applies each request");
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_UnknownRequest_ClaimsNothing()
    {
        (await _timed.ClaimBatchRequestAsync("nope", default)).ShouldBeFalse();
    }

    [Fact]
    public async Task ReleaseBatchRequestAsync_AfterAClaim_PendingAgainAndClaimableOnce()
    {
        var id = await _timed.RecordBatchRequestAsync("b", BatchRequestCommand.Resume, null, default);
        await _timed.ClaimBatchRequestAsync(id, default);

        await _timed.ReleaseBatchRequestAsync(id, default);

        (await _timed.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem().RequestId.ShouldBe(id);
        (await _timed.ClaimBatchRequestAsync(id, default)).ShouldBeTrue();
        (await _timed.ClaimBatchRequestAsync(id, default)).ShouldBeFalse();
    }

    [Fact]
    public async Task ListIdleUnfinishedJobsAsync_JobInAConsumedLane_LeftToTheLane()
    {
        var laned = await JobAsync();
        var stranded = await JobAsync();

        (await _timed.MarkLanedAsync(laned, attempts: 0, lane: 3, default)).ShouldBeTrue();

        (await IdleAsync(DateTimeOffset.MinValue, lanes: 8)).ShouldBe([stranded]);
        (await IdleAsync(DateTimeOffset.MinValue, lanes: 3)).ShouldBe([laned, stranded], ignoreOrder: true, "lane 3 is no longer consumed");
        (await IdleAsync(_time.GetUtcNow().AddSeconds(1), lanes: 8)).ShouldBe([laned, stranded], ignoreOrder: true, "an in-memory lane holds only what this process sent");
    }

    [Fact]
    public async Task MarkLanedAsync_AttemptClaimedMeanwhile_ChangesNothing()
    {
        var job = await JobAsync();
        (await _timed.MarkDispatchedAsync(job, "d", 1, 1, null, null, default)).ShouldBeTrue();

        (await _timed.MarkLanedAsync(job, attempts: 0, lane: 1, default)).ShouldBeFalse();
    }

    [Fact]
    public async Task MarkDispatchedAsync_JobOffItsLane_NoLongerNotedInIt()
    {
        var job = await JobAsync();
        (await _timed.MarkLanedAsync(job, attempts: 0, lane: 1, default)).ShouldBeTrue();

        (await _timed.MarkDispatchedAsync(job, "d", 1, 1, null, null, default)).ShouldBeTrue();

        (await IdleAsync(DateTimeOffset.MinValue, lanes: 8)).ShouldBe([job], "sent, and no outcome since: the reconciler looks after it again");
    }

    [Fact]
    public async Task ClaimShareAsync_TakenOverAgain_MovesTheEpochOnAndRecordsTheNewOwner()
    {
        var first = await _ledger.ClaimShareAsync(1, "first", default);
        var second = await _ledger.ClaimShareAsync(1, "second", default);
        var other = await _ledger.ClaimShareAsync(0, "first", default);

        first.ShouldBe(1);
        second.ShouldBe(2);
        other.ShouldBe(1, "each share has an epoch of its own");
        (await _ledger.ListShareOwnersAsync(default)).Select(o => (o.Share, o.Epoch, o.Owner)).ShouldBe([(0L, 1L, "first"), (1L, 2L, "second")]);
    }

    [Fact]
    public async Task MarkDispatchedAsync_StaleShareEpoch_RefusesTheClaim()
    {
        // A process took share 1 over, then paused; another took it over from it meanwhile.
        var stale = new ShareFence(1, await _ledger.ClaimShareAsync(1, "paused", default));
        await using var other = Open(TimeProvider.System);
        var current = new ShareFence(1, await other.ClaimShareAsync(1, "new owner", default));
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;

        var refused = await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 7, null, replacing: null, stale, default);
        var held = await _ledger.HoldsShareAsync(stale, default);
        var claimed = await other.MarkDispatchedAsync(job.JobId, "d2", 1, 8, null, replacing: null, current, default);

        refused.ShouldBeFalse("the paused process's epoch moved on");
        held.ShouldBeFalse();
        claimed.ShouldBeTrue("the share's owner claims under its epoch");
        var stored = (await _ledger.GetJobAsync(job.JobId, default))!;
        (stored.State, stored.DeploymentId, stored.QuotaSeq).ShouldBe((JobState.Dispatched, "d2", 8L));
        (await other.HoldsShareAsync(current, default)).ShouldBeTrue();
    }

    [Fact]
    public async Task WantShareAsync_AnotherOwnsTheShare_RecordedOnceAndClearedByTheNextTakeOver()
    {
        await _ledger.ClaimShareAsync(1, "first", default);

        var own = await _ledger.WantShareAsync(1, "first", default);
        var asked = await _ledger.WantShareAsync(1, "second", default);
        var again = await _ledger.WantShareAsync(1, "second", default);
        var whileAsked = (await _ledger.ListShareOwnersAsync(default)).Single().WantedBy;
        await _ledger.ClaimShareAsync(1, "second", default);

        own.ShouldBeFalse("the owner does not ask for its own share");
        asked.ShouldBeTrue();
        again.ShouldBeFalse("asked already");
        whileAsked.ShouldBe("second");
        var after = (await _ledger.ListShareOwnersAsync(default)).Single();
        (after.Owner, after.Epoch, after.WantedBy).ShouldBe(("second", 2L, (string?)null));
    }

    [Fact]
    public async Task CompleteAsync_StaleShareEpoch_EndsNothingWhileTheOwnersEndingEndsTheJob()
    {
        var stale = new ShareFence(1, await _ledger.ClaimShareAsync(1, "paused", default));
        var current = new ShareFence(1, await _ledger.ClaimShareAsync(1, "new owner", default));
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        var ending = new JobCompletion(job.JobId, false, null, 0, null, null, null, 0m, "BudgetExhausted", "over the cap", null, null, null);

        var refused = await _ledger.CompleteAsync(ending, stale, default);
        var stateAfterRefusal = (await _ledger.GetJobAsync(job.JobId, default))!.State;
        var ended = await _ledger.CompleteAsync(ending, current, default);

        refused.ShouldBeFalse("the paused process's epoch moved on");
        stateAfterRefusal.ShouldBe(JobState.Queued);
        ended.ShouldBeTrue();
        var stored = (await _ledger.GetJobAsync(job.JobId, default))!;
        (stored.State, stored.ErrorKind).ShouldBe((JobState.Failed, "BudgetExhausted"));
    }

    [Fact]
    public async Task MarkDispatchedAsync_ResendUnderStaleEpoch_RefusesTheReplacement()
    {
        var stale = new ShareFence(0, await _ledger.ClaimShareAsync(0, "paused", default));
        var job = (await _ledger.AcceptJobAsync(Job("a"), default)).Job;
        (await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 3, null, replacing: null, stale, default)).ShouldBeTrue();
        await _ledger.ClaimShareAsync(0, "new owner", default);

        (await _ledger.MarkDispatchedAsync(job.JobId, "d1", 1, 4, null, replacing: 3, stale, default)).ShouldBeFalse();

        (await _ledger.GetJobAsync(job.JobId, default))!.QuotaSeq.ShouldBe(3);
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
