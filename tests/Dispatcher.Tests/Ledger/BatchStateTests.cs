using Dispatcher.Ledger;

namespace Dispatcher.Tests.Ledger;

public sealed class BatchStateTests
{
    private static BatchStatus Batch(long? total, long queued = 0, long dispatched = 0, long succeeded = 0, long failed = 0, string? control = null) =>
        new("b", total, null, "2026-01-01T00:00:00.0000000+00:00", queued, dispatched, succeeded, failed, 0, 0, 0, control);

    [Fact]
    public void State_AnnouncedNothingStartedSomeStillToArrive_Validating() =>
        Batch(10, queued: 3).State.ShouldBe(BatchState.Validating);

    [Fact]
    public void State_SomeStartedOthersStillToArrive_InProgress() =>
        Batch(10, queued: 2, dispatched: 1).State.ShouldBe(BatchState.InProgress);

    [Fact]
    public void State_EveryJobRecordedNoneEnded_InProgress() =>
        Batch(10, queued: 10).State.ShouldBe(BatchState.InProgress);

    [Fact]
    public void State_EveryJobEnded_CompletedEvenWithFailures()
    {
        var batch = Batch(10, succeeded: 7, failed: 3);

        batch.State.ShouldBe(BatchState.Completed);
        batch.IsEnded.ShouldBeTrue();
    }

    [Fact]
    public void State_RefusedAtCreation_FailedAndEnded()
    {
        var batch = Batch(0, control: BatchControl.Failed);

        batch.State.ShouldBe(BatchState.Failed);
        batch.IsEnded.ShouldBeTrue();
    }

    [Fact]
    public void State_PausedWithJobsLeft_PausedAndNotEnded()
    {
        var batch = Batch(10, queued: 6, succeeded: 4, control: BatchControl.Paused);

        batch.State.ShouldBe(BatchState.Paused);
        batch.IsEnded.ShouldBeFalse();
    }

    [Fact]
    public void State_PausedAfterEveryJobEnded_Completed() =>
        Batch(10, succeeded: 10, control: BatchControl.Paused).State.ShouldBe(BatchState.Completed);

    [Fact]
    public void State_CancelledWithAttemptsInFlight_CancellingAndNotEnded()
    {
        var batch = Batch(10, dispatched: 2, succeeded: 3, failed: 5, control: BatchControl.Cancelled);

        batch.State.ShouldBe(BatchState.Cancelling);
        batch.IsEnded.ShouldBeFalse();
    }

    [Fact]
    public void State_CancelledAndDrained_CancelledAndEnded()
    {
        var batch = Batch(10, succeeded: 5, failed: 5, control: BatchControl.Cancelled);

        batch.State.ShouldBe(BatchState.Cancelled);
        batch.IsEnded.ShouldBeTrue();
    }

    [Fact]
    public void State_CancelledWithJobsStillToArrive_CancellingUntilTheyArriveAndEnd() =>
        Batch(10, failed: 6, control: BatchControl.Cancelled).State.ShouldBe(BatchState.Cancelling);

    [Fact]
    public void State_CancelledWithoutAnnouncement_CancelledOnceDrained()
    {
        var batch = Batch(null, failed: 4, control: BatchControl.Cancelled);

        batch.State.ShouldBe(BatchState.Cancelled);
        batch.IsEnded.ShouldBeTrue();
    }

    [Fact]
    public void State_ExpiredWithAttemptsInFlight_ExpiredButNotEndedUntilTheyFinish()
    {
        var inFlight = Batch(10, dispatched: 1, succeeded: 4, failed: 5, control: BatchControl.Expired);
        var drained = inFlight with { Dispatched = 0, Succeeded = 5 };

        inFlight.State.ShouldBe(BatchState.Expired);
        inFlight.IsEnded.ShouldBeFalse();
        drained.State.ShouldBe(BatchState.Expired);
        drained.IsEnded.ShouldBeTrue();
    }
}
