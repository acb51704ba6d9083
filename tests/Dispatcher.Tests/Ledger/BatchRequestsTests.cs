using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Ledger;

/// <summary>Commands on a batch recorded in the ledger for the dispatcher that runs on it: recorded, listed in order, claimed once.</summary>
public sealed class BatchRequestsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
    private JobLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _ledger = Open();
        await _ledger.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    private JobLedger Open() => new(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), _time);

    [Fact]
    public async Task RecordBatchRequestAsync_Cancel_ListedPendingWithItsReason()
    {
        var id = await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, "wrong prompt", default);

        var request = (await _ledger.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem();

        request.ShouldBe(new BatchRequest(id, "b", BatchRequestCommand.Cancel, "wrong prompt", "2026-01-05T10:00:00.0000000+00:00"));
    }

    [Fact]
    public async Task RecordBatchRequestAsync_BlankReason_KeptAsNone()
    {
        await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Pause, " ", default);

        (await _ledger.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem().Reason.ShouldBeNull();
    }

    [Fact]
    public async Task RecordBatchRequestAsync_UnknownCommand_Throws()
    {
        await Should.ThrowAsync<ArgumentException>(() => _ledger.RecordBatchRequestAsync("b", "delete", null, default));

        (await _ledger.ListPendingBatchRequestsAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ListPendingBatchRequestsAsync_PauseThenResumeAtTheSameInstant_InTheOrderRecorded()
    {
        var pause = await _ledger.RecordBatchRequestAsync("a", BatchRequestCommand.Pause, null, default);
        var resume = await _ledger.RecordBatchRequestAsync("a", BatchRequestCommand.Resume, null, default);
        _time.Advance(TimeSpan.FromSeconds(1));
        var later = await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, null, default);

        var pending = await _ledger.ListPendingBatchRequestsAsync(10, default);

        pending.Select(r => r.RequestId).ShouldBe([pause, resume, later], "oldest first; recorded at one instant, in the order recorded");
    }

    [Fact]
    public async Task ListPendingBatchRequestsAsync_MoreThanTheLimit_TheOldestUpToIt()
    {
        var first = await _ledger.RecordBatchRequestAsync("a", BatchRequestCommand.Pause, null, default);
        var second = await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Pause, null, default);
        await _ledger.RecordBatchRequestAsync("c", BatchRequestCommand.Pause, null, default);

        (await _ledger.ListPendingBatchRequestsAsync(2, default)).Select(r => r.RequestId).ShouldBe([first, second]);
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_ClaimedTwice_OnlyTheFirstClaimsAndItIsNoLongerPending()
    {
        var id = await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Cancel, null, default);

        var first = await _ledger.ClaimBatchRequestAsync(id, default);
        var second = await _ledger.ClaimBatchRequestAsync(id, default);

        first.ShouldBeTrue();
        second.ShouldBeFalse("a request is applied once");
        (await _ledger.ListPendingBatchRequestsAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_TwoDispatchersOnOneFileAtOnce_ExactlyOneClaims()
    {
        await using var other = Open();
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await _ledger.RecordBatchRequestAsync($"b{i}", BatchRequestCommand.Cancel, null, default));
        }

        var claims = await Task.WhenAll(ids.Select(async id =>
        {
            var both = await Task.WhenAll(_ledger.ClaimBatchRequestAsync(id, default), other.ClaimBatchRequestAsync(id, default));
            return both.Count(claimed => claimed);
        }));

        claims.ShouldAllBe(c => c == 1, "of two dispatchers on one ledger, exactly one applies each request");
    }

    [Fact]
    public async Task ClaimBatchRequestAsync_UnknownRequest_ClaimsNothing()
    {
        (await _ledger.ClaimBatchRequestAsync("nope", default)).ShouldBeFalse();
    }

    [Fact]
    public async Task ReleaseBatchRequestAsync_AfterAClaim_PendingAgainAndClaimableOnce()
    {
        var id = await _ledger.RecordBatchRequestAsync("b", BatchRequestCommand.Resume, null, default);
        await _ledger.ClaimBatchRequestAsync(id, default);

        await _ledger.ReleaseBatchRequestAsync(id, default);

        (await _ledger.ListPendingBatchRequestsAsync(10, default)).ShouldHaveSingleItem().RequestId.ShouldBe(id);
        (await _ledger.ClaimBatchRequestAsync(id, default)).ShouldBeTrue();
        (await _ledger.ClaimBatchRequestAsync(id, default)).ShouldBeFalse();
    }
}
