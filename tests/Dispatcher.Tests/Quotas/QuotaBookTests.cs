using Dispatcher.Catalog;
using Dispatcher.Quotas;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Quotas;

public sealed class QuotaBookTests
{
    private static QuotaBook Book(FakeTimeProvider time, int rpm = 10, int tpm = 1000, double padding = 0) => new(
        Options.Create(new CatalogOptions
        {
            Deployments = [new DeploymentOptions { Id = "d", ModelGroup = "g", Rpm = rpm, Tpm = tpm, BurstFraction = 1 }],
            QuotaWindow = TimeSpan.FromSeconds(60),
            QuotaWindowPadding = padding,
        }),
        time);

    [Fact]
    public void Restore_LevelsSavedBeforeRestart_DoNotHandOutAFreshBurst()
    {
        var time = new FakeTimeProvider();
        var before = Book(time);
        before.Reserve("d", 900);
        var saved = before.Levels();

        time.Advance(TimeSpan.FromSeconds(6));
        var after = Book(time);
        after.Restore(saved);

        // 100 left, plus 6 s of refill at 1000 tokens a minute.
        after["d"].CanAfford(200, after.Now).ShouldBeTrue();
        after["d"].CanAfford(201, after.Now).ShouldBeFalse();
    }

    [Fact]
    public void Restore_UnknownDeployment_IsIgnored()
    {
        var book = Book(new FakeTimeProvider());

        book.Restore([new QuotaLevel("gone", 0, 0, "2026-01-01T00:00:00Z")]);

        book["d"].CanAfford(1000, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Settle_429WithRetryAfter_PausedUntilThenWithTheReason()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 22, 49, 43, TimeSpan.Zero));
        var book = Book(time);
        var sequence = book.Reserve("d", 10);

        book.Settle("d", sequence, 10, 0, new CallTiming(TimeSpan.Zero, null), null, TimeSpan.FromSeconds(30), 429);

        book.Pauses().ShouldBe([new DeploymentPause("d", new DateTimeOffset(2026, 1, 1, 22, 50, 13, TimeSpan.Zero), "429 Retry-After 30 s", 0)]);
        var level = book.Levels().Single();
        level.PausedUntil.ShouldBe("2026-01-01T22:50:13.0000000+00:00");
        level.PauseReason.ShouldBe("429 Retry-After 30 s");
        time.Advance(TimeSpan.FromSeconds(30));
        book.Pauses().ShouldBeEmpty();
        book.Levels().Single().PausedUntil.ShouldBeNull("a pause over is saved as none");
    }

    [Fact]
    public void NoteRetryWaiting_RetriesAfterThePause_CountedUntilTheirDelayIsOver()
    {
        var time = new FakeTimeProvider();
        var book = Book(time);
        book.Settle("d", book.Reserve("d", 10), 10, 0, new CallTiming(TimeSpan.Zero, null), null, TimeSpan.FromSeconds(30), 429);

        book.NoteRetryWaiting("d", TimeSpan.FromSeconds(31));
        book.NoteRetryWaiting("d", TimeSpan.FromSeconds(40));
        book.NoteRetryWaiting("d", TimeSpan.FromSeconds(5));
        book.NoteRetryWaiting("gone", TimeSpan.FromSeconds(5));

        book.Pauses().Single().WaitingJobs.ShouldBe(3);
        time.Advance(TimeSpan.FromSeconds(6));
        book.Pauses().Single().WaitingJobs.ShouldBe(2);
        book.Levels().Single().PauseWaiting.ShouldBe(2);
    }

    [Fact]
    public void Restore_PauseSavedBeforeRestart_StaysPausedUntilItEnds()
    {
        var time = new FakeTimeProvider();
        var before = Book(time);
        before.Settle("d", before.Reserve("d", 10), 10, 0, new CallTiming(TimeSpan.Zero, null), null, TimeSpan.FromSeconds(30), 429);
        var saved = before.Levels();

        time.Advance(TimeSpan.FromSeconds(10));
        var after = Book(time);
        after.Restore(saved);

        after["d"].CanAfford(1, after.Now).ShouldBeFalse();
        after.Pauses().Single().Reason.ShouldBe("429 Retry-After 30 s");
        time.Advance(TimeSpan.FromSeconds(20));
        after["d"].CanAfford(1, after.Now).ShouldBeTrue();
    }

    [Fact]
    public async Task Settle_SignalsWaitersThatCapacityChanged()
    {
        var book = Book(new FakeTimeProvider());
        var sequence = book.Reserve("d", 10);
        var changed = book.Changed;

        changed.IsCompleted.ShouldBeFalse();
        book.Settle("d", sequence, 10, 5, new CallTiming(TimeSpan.Zero, null), null, null);

        await changed.WaitAsync(TimeSpan.FromSeconds(5));
        book.Changed.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task Release_SignalsWaitersAndFreesTheWindow()
    {
        var book = Book(new FakeTimeProvider(), rpm: 1);
        var sequence = book.Reserve("d", 10);
        var changed = book.Changed;

        book.Release("d", sequence, 10);

        await changed.WaitAsync(TimeSpan.FromSeconds(5));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Settle_SequenceFromAnEarlierProcess_CountsItsCallAndLeavesThisProcesssReservationOpen()
    {
        var time = new FakeTimeProvider();
        var earlier = Book(time).Reserve("d", 10);
        time.Advance(TimeSpan.FromSeconds(1));
        var book = Book(time, rpm: 2);
        book.Reserve("d", 10);

        book.Settle("d", earlier, 10, 5, new CallTiming(TimeSpan.FromMilliseconds(200), null), null, null);
        book.Settle("d", 0, 10, 5, new CallTiming(TimeSpan.Zero, null), null, null);

        var usage = book.Usage().Single();
        usage.InFlight.ShouldBe(1);
        usage.RequestsInWindow.ShouldBe(2, "this process's reservation and the earlier one's call; the one with no reservation recorded was counted by the seed");
        usage.TokensInWindow.ShouldBe(15);
    }

    [Fact]
    public void Settle_AfterTheCallRan_CountsItFromItsStart()
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1);
        var sequence = book.Reserve("d", 10);
        time.Advance(TimeSpan.FromSeconds(30));

        // Waited 10 s in the worker's queue, then ran for 20 s.
        book.Settle("d", sequence, 10, 5, new CallTiming(TimeSpan.FromSeconds(20), null), null, null);

        time.Advance(TimeSpan.FromSeconds(39.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse("the provider counts the call until 70 s");
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    // Reserved at 0 s, waited 10 s in the worker's queue, ran for 20 s, settled at 30 s. A provider
    // that says it spent 5 s received the call at 25 s, and counts it until 85 s; one that says
    // nothing is taken to have received it the padding (3 s of a minute) after the start at 10 s.
    [Theory]
    [InlineData(5.0, 55.0)]
    [InlineData(null, 43.0)]
    public void Settle_AfterTheCallRan_CountsOneWindowFromWhenTheProviderReceivedIt(double? providerSeconds, double freeAfterSettle)
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1, padding: 0.05);
        var sequence = book.Reserve("d", 10);
        time.Advance(TimeSpan.FromSeconds(30));

        var providerTime = providerSeconds is { } p ? TimeSpan.FromSeconds(p) : (TimeSpan?)null;
        book.Settle("d", sequence, 10, 5, new CallTiming(TimeSpan.FromSeconds(20), providerTime), null, null);

        time.Advance(TimeSpan.FromSeconds(freeAfterSettle - 0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Seed_WithPadding_AttemptCountsFromThePaddingAfterItWasSent()
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1, padding: 0.05);
        var sent = time.GetUtcNow().AddSeconds(-59).ToString("O");

        book.Seed([new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", DispatchedAt = sent, InputTokens = 10 }]);

        time.Advance(TimeSpan.FromSeconds(3.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse("sent 59 s ago, taken as received 56 s ago");
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Settle_AfterTheOpenCapDroppedTheReservation_CountsTheCallFromWhenTheProviderReceivedIt()
    {
        // The work item waited in the broker for 11 minutes; the provider received the call 20 s
        // before its outcome reached the dispatcher.
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1);
        var sequence = book.Reserve("d", 10);
        time.Advance(TimeSpan.FromMinutes(11));
        book.Usage().Single().InFlight.ShouldBe(0, "the reservation passed its open cap");

        book.Settle("d", sequence, 10, 5, new CallTiming(TimeSpan.FromSeconds(20), null), null, null);

        book["d"].CanAfford(1, book.Now).ShouldBeFalse("the provider counts the call until 40 s from now");
        time.Advance(TimeSpan.FromSeconds(39.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Settle_ReservedByAnEarlierProcessAndNotSeeded_CountsTheCallFromWhenTheProviderReceivedIt()
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1);

        book.Settle("d", book.FirstSequence - 1000, 10, 5, new CallTiming(TimeSpan.FromSeconds(20), null), null, null);

        time.Advance(TimeSpan.FromSeconds(39.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Settle_NoRecordedReservation_CountsOnlyWhatTheSeedCounted()
    {
        // An attempt the ledger recorded no reservation for is seeded as received the padding
        // after it was sent; its outcome must not count it a second time.
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 2);
        book.Seed([new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", DispatchedAt = time.GetUtcNow().AddSeconds(-1).ToString("O"), InputTokens = 10 }]);

        book.Settle("d", 0, 10, 5, new CallTiming(TimeSpan.Zero, null), null, null);

        book["d"].CanAfford(1, book.Now).ShouldBeTrue("one request of two in the window");
    }

    [Fact]
    public void Seed_AttemptUnderWay_CountsUntilItsOutcomeSettlesIt()
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1);
        var sent = time.GetUtcNow().AddSeconds(-30).ToString("O");

        book.Seed([new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", Sequence = 5, DispatchedAt = sent, InputTokens = 10 }]);

        book["d"].InFlight.ShouldBe(1);
        time.Advance(TimeSpan.FromSeconds(120));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse("its outcome has not arrived: the provider may count it from any moment");
        book.Settle("d", 5, 10, 4, new CallTiming(TimeSpan.Zero, null), null, null);
        book["d"].InFlight.ShouldBe(0);
        time.Advance(TimeSpan.FromSeconds(59.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Reserve_AfterSeedingAnAttemptOfAProcessStartedLater_HandsOutALaterSequence()
    {
        // Taking over from a process that started after this one: its sequences, seeded from its
        // own start time, are above everything this book has handed out.
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 10);
        var theirs = book.FirstSequence + 1_000_000;
        book.Seed([new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", Sequence = theirs, DispatchedAt = time.GetUtcNow().ToString("O"), InputTokens = 10 }]);

        var mine = book.Reserve("d", new QuotaTokens(10, 5));

        mine.ShouldBeGreaterThan(theirs);
        book["d"].InFlight.ShouldBe(2, "the seeded attempt is still held open beside the new one");
        book.Settle("d", theirs, 10, 5, new CallTiming(TimeSpan.Zero, null), null, null);
        book["d"].InFlight.ShouldBe(1);
    }

    [Fact]
    public void Seed_AttemptSettled_CountsFromWhenTheProviderReceivedIt()
    {
        // Recorded 10 s ago after a 25 s call of which the provider says it spent 15 s: received 25 s ago.
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 1);
        var now = time.GetUtcNow();

        book.Seed([new Dispatcher.Ledger.RecentAttempt
        {
            DeploymentId = "d", Sequence = 5, DispatchedAt = now.AddMinutes(-20).ToString("O"), RecordedAt = now.AddSeconds(-10).ToString("O"),
            LatencyMs = 25_000, ProviderMs = 15_000, InputTokens = 0,
        }]);

        book["d"].InFlight.ShouldBe(0);
        time.Advance(TimeSpan.FromSeconds(34.9));
        book["d"].CanAfford(1, book.Now).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue();
    }

    [Fact]
    public void Reserve_Sequences_IncreaseAcrossBooks()
    {
        var time = new FakeTimeProvider();
        var first = Book(time).Reserve("d", 1);
        time.Advance(TimeSpan.FromMilliseconds(5));

        Book(time).Reserve("d", 1).ShouldBeGreaterThan(first);
    }

    [Fact]
    public void Seed_AttemptsSentBeforeRestart_CountInTheWindowUntilTheyAge()
    {
        var time = new FakeTimeProvider();
        var book = Book(time, rpm: 3);
        var sent = time.GetUtcNow().AddSeconds(-50).ToString("O");

        book.Seed([
            new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", DispatchedAt = sent, InputTokens = 10 },
            new Dispatcher.Ledger.RecentAttempt { DeploymentId = "d", DispatchedAt = sent, InputTokens = 10 },
            new Dispatcher.Ledger.RecentAttempt { DeploymentId = "gone", DispatchedAt = sent, InputTokens = 10 },
        ]);

        book.Reserve("d", 1);
        book["d"].CanAfford(1, book.Now).ShouldBeFalse("two seeded and one new request fill a limit of three");
        time.Advance(TimeSpan.FromSeconds(11));
        book["d"].CanAfford(1, book.Now).ShouldBeTrue("the seeded requests left the window");
    }
}
