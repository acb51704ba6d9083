using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Lifecycle;

/// <summary>The ledger's batch controls and completion windows, and the view routing checks them through, on fake time.</summary>
public sealed class BatchControlsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
    private JobLedger _ledger = null!;
    private BatchControls _controls = null!;

    public async Task InitializeAsync()
    {
        _ledger = new JobLedger(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), _time);
        await _ledger.InitializeAsync(CancellationToken.None);
        _controls = new BatchControls(_ledger, _time);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<string> JobAsync(string batch, string customId)
    {
        var id = Guid.NewGuid().ToString();
        await _ledger.AcceptJobAsync(new NewJob(id, batch, customId, "g", null, 0, null, null, """{"model":"g","messages":[]}""", 10, 20), default);
        return id;
    }

    [Fact]
    public async Task CheckAsync_BeforeAndAfterTheCompletionWindow_NoneThenExpired()
    {
        await _ledger.UpsertBatchAsync("b", 2, null, null, TimeSpan.FromSeconds(30), default);

        var before = await _controls.CheckAsync("b", fresh: false, default);
        _time.Advance(TimeSpan.FromSeconds(29.9));
        var justBefore = await _controls.CheckAsync("b", fresh: false, default);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        var at = await _controls.CheckAsync("b", fresh: false, default);

        before.ShouldBe(BatchHold.None);
        justBefore.ShouldBe(BatchHold.None);
        at.ShouldBe(BatchHold.Expired, "the window's end is read from the view without asking the ledger again");
        _controls.ExpiresAt("b").ShouldBe(new DateTimeOffset(2026, 1, 5, 10, 0, 30, TimeSpan.Zero));
    }

    [Fact]
    public async Task UpsertBatchAsync_AnnouncedAgainWithAnotherWindow_FirstWindowKept()
    {
        await _ledger.UpsertBatchAsync("b", 2, null, null, TimeSpan.FromMinutes(1), default);
        _time.Advance(TimeSpan.FromMinutes(5));
        await _ledger.UpsertBatchAsync("b", 2, null, null, TimeSpan.FromHours(1), default);

        (await _ledger.GetBatchStatusAsync("b", default))!.ExpiresAt.ShouldBe(new DateTimeOffset(2026, 1, 5, 10, 1, 0, TimeSpan.Zero).ToString("O"));
    }

    [Fact]
    public async Task ListDueExpiriesAsync_WindowPassed_ListsOnlyBatchesNotEnded()
    {
        await _ledger.UpsertBatchAsync("running", 1, null, null, TimeSpan.FromSeconds(10), default);
        await JobAsync("running", "a");
        await _ledger.UpsertBatchAsync("done", 1, null, null, TimeSpan.FromSeconds(10), default);
        var done = await JobAsync("done", "a");
        await _ledger.CompleteAsync(new JobCompletion(done, true, "d", 1, "{}", 1, 1, 0m, null, null, 200, null, 1), default);
        await _ledger.UpsertBatchAsync("later", 1, null, null, TimeSpan.FromSeconds(60), default);
        await _ledger.UpsertBatchAsync("never", 1, null, null, default);

        var early = await _ledger.ListDueExpiriesAsync(_time.GetUtcNow(), default);
        _time.Advance(TimeSpan.FromSeconds(10));
        var due = await _ledger.ListDueExpiriesAsync(_time.GetUtcNow(), default);

        early.ShouldBeEmpty();
        due.ShouldBe(["running"]);
    }

    [Fact]
    public async Task MarkDispatchedAsync_AfterTheWindow_RefusesANewAttempt()
    {
        await _ledger.UpsertBatchAsync("b", 2, null, null, TimeSpan.FromSeconds(10), default);
        var first = await JobAsync("b", "a");
        var second = await JobAsync("b", "b");

        var inTime = await _ledger.MarkDispatchedAsync(first, "d", 1, 1, null, null, default);
        _time.Advance(TimeSpan.FromSeconds(10));
        var late = await _ledger.MarkDispatchedAsync(second, "d", 1, 2, null, null, default);

        inTime.ShouldBeTrue();
        late.ShouldBeFalse("no attempt of a batch starts after its window ended");
    }

    [Fact]
    public async Task PauseBatchAsync_ThenRouting_ClaimRefusedJobParkedAndListedForResume()
    {
        await _ledger.UpsertBatchAsync("b", 1, null, null, default);
        var job = await JobAsync("b", "a");
        (await _controls.CheckAsync("b", fresh: false, default)).ShouldBe(BatchHold.None);
        var token = _controls.HoldToken("b");

        (await _ledger.PauseBatchAsync("b", default)).ShouldBeTrue();
        var stale = await _controls.CheckAsync("b", fresh: false, default);
        var claimed = await _ledger.MarkDispatchedAsync(job, "d", 1, 1, null, null, default);
        var hold = await _controls.CheckAsync("b", fresh: true, default);
        var parked = await _ledger.ParkJobAsync(job, default);

        stale.ShouldBe(BatchHold.None, "within a second the view is not read again; the ledger's claim is what holds");
        claimed.ShouldBeFalse();
        hold.ShouldBe(BatchHold.Paused);
        token.IsCancellationRequested.ShouldBeTrue("jobs waiting for quota stop waiting");
        parked.ShouldBeTrue();
        (await _ledger.ListParkedJobsAsync("b", "", 10, default)).Select(j => j.JobId).ShouldBe([job]);
        (await _ledger.GetBatchStatusAsync("b", default))!.State.ShouldBe(BatchState.Paused);
        (await _ledger.ListIdleUnfinishedJobsAsync(_time.GetUtcNow() + TimeSpan.FromHours(1), DateTimeOffset.MinValue, 8, 10, default)).ShouldBeEmpty("the reconciler leaves a paused batch's jobs alone");

        (await _ledger.ResumeBatchAsync("b", default)).ShouldBeTrue();
        (await _controls.CheckAsync("b", fresh: true, default)).ShouldBe(BatchHold.None);
        _controls.HoldToken("b").IsCancellationRequested.ShouldBeFalse();
        (await _ledger.MarkDispatchedAsync(job, "d", 1, 2, null, null, default)).ShouldBeTrue();
        (await _ledger.ListParkedJobsAsync("b", "", 10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ParkJobAsync_BatchResumedMeanwhile_LeavesTheJobToBeRouted()
    {
        await _ledger.UpsertBatchAsync("b", 1, null, null, default);
        var job = await JobAsync("b", "a");
        await _ledger.PauseBatchAsync("b", default);
        await _ledger.ResumeBatchAsync("b", default);

        (await _ledger.ParkJobAsync(job, default)).ShouldBeFalse();
    }

    [Fact]
    public async Task EndBatchAsync_CancelledWithAReason_KeepsTheFirstReasonWithTheBatch()
    {
        await _ledger.UpsertBatchAsync("b", 3, null, null, default);
        await JobAsync("b", "queued");

        await _ledger.EndBatchAsync("b", BatchControl.Cancelled, Contracts.ErrorKind.BatchCancelled, "batch b was cancelled: wrong prompt", "wrong prompt", default);
        await _ledger.EndBatchAsync("b", BatchControl.Cancelled, Contracts.ErrorKind.BatchCancelled, "batch b was cancelled: again", "again", default);

        (await _ledger.GetBatchStatusAsync("b", default))!.ControlReason.ShouldBe("wrong prompt");
    }

    [Fact]
    public async Task CancelUnfinishedJobsAsync_KeepsItsReasonWithTheBatch()
    {
        await _ledger.UpsertBatchAsync("b", 3, null, null, default);
        await JobAsync("b", "queued");

        await _ledger.CancelUnfinishedJobsAsync("b", "superseded by batch b2", default);

        (await _ledger.GetBatchStatusAsync("b", default))!.ControlReason.ShouldBe("superseded by batch b2");
    }

    [Fact]
    public async Task EndBatchAsync_Cancelled_EndsJobsNotUnderWayAndLeavesTheAttemptInFlight()
    {
        await _ledger.UpsertBatchAsync("b", 3, null, null, default);
        var queued = await JobAsync("b", "queued");
        var inFlight = await JobAsync("b", "in-flight");
        var retrying = await JobAsync("b", "retrying");
        await _ledger.MarkDispatchedAsync(inFlight, "d", 1, 1, null, null, default);
        await _ledger.MarkDispatchedAsync(retrying, "d", 1, 2, null, null, default);
        await _ledger.RecordAttemptAsync(new AttemptRow { JobId = retrying, Attempt = 1, DeploymentId = "d", ErrorKind = "ServerError", LatencyMs = 1 }, default);

        var (ended, jobs) = await _ledger.EndBatchAsync("b", BatchControl.Cancelled, Contracts.ErrorKind.BatchCancelled, "cancelled", default);
        var again = await _ledger.EndBatchAsync("b", BatchControl.Cancelled, Contracts.ErrorKind.BatchCancelled, "cancelled", default);
        var expire = await _ledger.EndBatchAsync("b", BatchControl.Expired, Contracts.ErrorKind.BatchExpired, "expired", default);
        var status = await _ledger.GetBatchStatusAsync("b", default);

        ended.ShouldBeTrue();
        jobs.ShouldBe(2);
        again.ShouldBe((true, 0));
        expire.ShouldBe((false, 0), "a cancelled batch does not expire");
        (await _ledger.GetJobAsync(queued, default))!.ErrorKind.ShouldBe("BatchCancelled");
        (await _ledger.GetJobAsync(retrying, default))!.ErrorKind.ShouldBe("BatchCancelled");
        (await _ledger.GetJobAsync(inFlight, default))!.State.ShouldBe(JobState.Dispatched);
        status!.State.ShouldBe(BatchState.Cancelling);
        (await _ledger.EndUnstartedJobAsync(inFlight, Contracts.ErrorKind.BatchCancelled, "x", default)).ShouldBeFalse("its attempt is under way");

        await _ledger.RecordAttemptAsync(new AttemptRow { JobId = inFlight, Attempt = 1, DeploymentId = "d", ErrorKind = "Timeout", LatencyMs = 1 }, default);
        (await _ledger.EndUnstartedJobAsync(inFlight, Contracts.ErrorKind.BatchCancelled, "x", default)).ShouldBeTrue();
        (await _ledger.GetBatchStatusAsync("b", default))!.State.ShouldBe(BatchState.Cancelled);
    }

    [Fact]
    public async Task EndBatchAsync_EveryJobEndedAlready_LeavesTheBatchCompleted()
    {
        await _ledger.UpsertBatchAsync("b", 1, null, null, default);
        var job = await JobAsync("b", "a");
        await _ledger.CompleteAsync(new JobCompletion(job, true, "d", 1, "{}", 1, 1, 0m, null, null, 200, null, 1), default);

        var (ended, _) = await _ledger.EndBatchAsync("b", BatchControl.Cancelled, Contracts.ErrorKind.BatchCancelled, "cancelled", default);

        ended.ShouldBeFalse();
        (await _ledger.GetBatchStatusAsync("b", default))!.State.ShouldBe(BatchState.Completed);
        (await _ledger.PauseBatchAsync("b", default)).ShouldBeFalse();
    }
}
