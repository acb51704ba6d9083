using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Ledger;

/// <summary>Jobs waiting in a dispatch lane, as the ledger notes them and the reconciler finds them.</summary>
public sealed class LanedJobsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
    private JobLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _ledger = new JobLedger(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), _time);
        await _ledger.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<string> JobAsync()
    {
        var id = Guid.NewGuid().ToString();
        await _ledger.AcceptJobAsync(new NewJob(id, "b", id, "g", null, 0, null, null, """{"model":"g","messages":[]}""", 10, 20), default);
        return id;
    }

    private async Task<IEnumerable<string>> IdleAsync(DateTimeOffset lanesKeptSince, int lanes) =>
        (await _ledger.ListIdleUnfinishedJobsAsync(_time.GetUtcNow() + TimeSpan.FromHours(1), lanesKeptSince, lanes, 10, default)).Select(j => j.JobId);

    [Fact]
    public async Task ListIdleUnfinishedJobsAsync_JobInAConsumedLane_LeftToTheLane()
    {
        var laned = await JobAsync();
        var stranded = await JobAsync();

        (await _ledger.MarkLanedAsync(laned, attempts: 0, lane: 3, default)).ShouldBeTrue();

        (await IdleAsync(DateTimeOffset.MinValue, lanes: 8)).ShouldBe([stranded]);
        (await IdleAsync(DateTimeOffset.MinValue, lanes: 3)).ShouldBe([laned, stranded], ignoreOrder: true, "lane 3 is no longer consumed");
        (await IdleAsync(_time.GetUtcNow().AddSeconds(1), lanes: 8)).ShouldBe([laned, stranded], ignoreOrder: true, "an in-memory lane holds only what this process sent");
    }

    [Fact]
    public async Task MarkLanedAsync_AttemptClaimedMeanwhile_ChangesNothing()
    {
        var job = await JobAsync();
        (await _ledger.MarkDispatchedAsync(job, "d", 1, 1, null, null, default)).ShouldBeTrue();

        (await _ledger.MarkLanedAsync(job, attempts: 0, lane: 1, default)).ShouldBeFalse();
    }

    [Fact]
    public async Task MarkDispatchedAsync_JobOffItsLane_NoLongerNotedInIt()
    {
        var job = await JobAsync();
        (await _ledger.MarkLanedAsync(job, attempts: 0, lane: 1, default)).ShouldBeTrue();

        (await _ledger.MarkDispatchedAsync(job, "d", 1, 1, null, null, default)).ShouldBeTrue();

        (await IdleAsync(DateTimeOffset.MinValue, lanes: 8)).ShouldBe([job], "sent, and no outcome since: the reconciler looks after it again");
    }
}
