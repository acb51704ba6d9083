using Dispatcher.Ledger;
using Dispatcher.Monitoring;

namespace Dispatcher.Tests.Monitoring;

public sealed class BatchTotalsTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Totals_TwoSnapshots_GiveEachRunningBatchItsOwnRateAndEta()
    {
        var first = Snapshot(StatusSnapshotBuilder.Totals([Batch("fast", 1_000, ended: 100), Batch("slow", 1_000, ended: 100), Batch("done", 10, ended: 10)], null, At));

        var second = StatusSnapshotBuilder.Totals(
            [Batch("fast", 1_000, ended: 300), Batch("slow", 1_000, ended: 110), Batch("done", 10, ended: 10)], first, At.AddSeconds(10));

        var fast = second.Recent.Single(b => b.Id == "fast");
        fast.ThroughputPerSecond.ShouldBe(20);
        fast.EtaSeconds.ShouldBe(35, "700 jobs left at 20 a second");
        second.Recent.Single(b => b.Id == "slow").EtaSeconds.ShouldBe(890);
        second.Recent.Single(b => b.Id == "done").EtaSeconds.ShouldBe(0);
        first.Batches.Recent.Single(b => b.Id == "fast").EtaSeconds.ShouldBeNull("no rate before a second snapshot");
    }

    private static DispatcherStatus Snapshot(BatchTotals batches) =>
        new(At, "InMemory", new QueueStatus(null, "unavailable", []), [], [], batches, 0, new LooseJobs(0, 0, 0, 0));

    private static BatchStatus Batch(string id, long total, long ended) =>
        new(id, total, null, At.ToString("O"), 0, total - ended, ended, 0, 0, 0, 0);
}
