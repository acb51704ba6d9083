using Dapper;
using Dispatcher.Catalog;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Quotas;

/// <summary>
/// What a restarted dispatcher reads back from a real ledger file: the quota windows seeded
/// from the attempts its providers still count, and the spend against every cap.
/// </summary>
public sealed class QuotaPersistenceTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly IOptions<CatalogOptions> _catalog = Options.Create(new CatalogOptions
    {
        Deployments =
        [
            new DeploymentOptions { Id = "d1", ModelGroup = "g", Rpm = 10, Tpm = 10_000, BurstFraction = 1, InputPricePerMillion = 1, OutputPricePerMillion = 2 },
            // The group g falls back to.
            new DeploymentOptions { Id = "d2", ModelGroup = "h", Rpm = 10, Tpm = 10_000, BurstFraction = 1, InputPricePerMillion = 3, OutputPricePerMillion = 4 },
        ],
        ModelGroups =
        [
            new ModelGroupOptions { Name = "g", Fallbacks = ["h"], Budget = new BudgetOptions { Limit = 100, Period = BudgetPeriod.Day } },
            new ModelGroupOptions { Name = "h", Budget = new BudgetOptions { Limit = 100, Period = BudgetPeriod.Day } },
        ],
        QuotaWindow = TimeSpan.FromSeconds(60),
        QuotaWindowPadding = 0,
    });

    private JobLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _ledger = new JobLedger(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), _time);
        await _ledger.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task StartAsync_JobFailedAndRetriedBeforeTheRestart_WindowsCountBothRequests()
    {
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        await OutcomeAsync(job, "d1", attempt: 1, "ServerError", latencyMs: 0);
        _time.Advance(TimeSpan.FromSeconds(2));
        await SendAsync(job, "d1", attempt: 2, sequence: 12);
        await OutcomeAsync(job, "d1", attempt: 2, "None", latencyMs: 0, tokens: 30);

        var book = await RestartAsync();

        var usage = Usage(book, "d1");
        usage.RequestsInWindow.ShouldBe(2, "the failed attempt's request counts with the provider too");
        usage.TokensInWindow.ShouldBe(30);
    }

    [Fact]
    public async Task StartAsync_JobFellBackToAnotherDeployment_EachDeploymentCountsItsAttempt()
    {
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        await OutcomeAsync(job, "d1", attempt: 1, "Timeout", latencyMs: 0);
        await SendAsync(job, "d2", attempt: 2, sequence: 12);

        var book = await RestartAsync();

        Usage(book, "d1").RequestsInWindow.ShouldBe(1);
        Usage(book, "d2").RequestsInWindow.ShouldBe(1);
        Usage(book, "d2").InFlight.ShouldBe(1, "the fallback is still under way");
    }

    [Fact]
    public async Task StartAsync_AttemptSettledLongAfterItWasSent_CountsFromWhenTheProviderReceivedIt()
    {
        // Sent 15 minutes ago, past the open cap, and waited in the workers' queue: the provider
        // received it 30 s ago, 20 s before the outcome was recorded.
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        _time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(10));
        await OutcomeAsync(job, "d1", attempt: 1, "None", latencyMs: 20_000, tokens: 30);
        _time.Advance(TimeSpan.FromSeconds(10));

        var book = await RestartAsync();

        Usage(book, "d1").RequestsInWindow.ShouldBe(1);
        _time.Advance(TimeSpan.FromSeconds(29.9));
        Usage(book, "d1").RequestsInWindow.ShouldBe(1, "received 59.9 s ago");
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Usage(book, "d1").RequestsInWindow.ShouldBe(0);
    }

    [Fact]
    public async Task TakeOverAsync_AttemptUnderWayAtStartSettledBeforeTakeOver_CountsItOnceAsSettled()
    {
        // A standby seeds at start and again when it takes over: the attempt it held open at start
        // is settled by the outcome the active process recorded in between, not counted twice
        // nor held open until its cap.
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        var (book, persistence, _) = await StartStandbyAsync();
        Usage(book, "d1").InFlight.ShouldBe(1);

        _time.Advance(TimeSpan.FromSeconds(5));
        await OutcomeAsync(job, "d1", attempt: 1, "None", latencyMs: 0, tokens: 30);
        _time.Advance(TimeSpan.FromSeconds(1));
        await persistence.TakeOverAsync(default);
        await persistence.StopAsync(default);

        var usage = Usage(book, "d1");
        usage.InFlight.ShouldBe(0);
        usage.RequestsInWindow.ShouldBe(1);
        usage.TokensInWindow.ShouldBe(30);
        _time.Advance(TimeSpan.FromSeconds(58.9));
        Usage(book, "d1").RequestsInWindow.ShouldBe(1, "received when its outcome was recorded, 59.9 s ago");
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Usage(book, "d1").RequestsInWindow.ShouldBe(0);
    }

    [Fact]
    public async Task StartAsync_FallbackUnderWayOnAnotherGroupsDeployment_ReservesItsEstimateWhereRoutingDid()
    {
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        await OutcomeAsync(job, "d1", attempt: 1, "ServerError", latencyMs: 0);
        await SendAsync(job, "d2", attempt: 2, sequence: 12);
        var running = new SpendBook(_catalog, _time);
        running.Reserve(_catalog.Value.Deployments[1], null, CostCalculator.Cost(_catalog.Value.Deployments[1], 10, 20));

        var (_, spend) = await RestartWithSpendAsync();

        foreach (var key in new[] { SpendBook.GroupKey("g"), SpendBook.GroupKey("h") })
        {
            spend.Account(key).ShouldBe(running.Account(key), key);
        }
    }

    [Fact]
    public async Task StartAsync_JobWaitingForItsRetry_HoldsNoSpendUntilTheRetryIsRouted()
    {
        // Its attempt failed and was settled before the restart; the retry, once routed, reserves
        // for itself. Holding the old estimate as well would count the job twice until a restart.
        var waiting = await AcceptAsync("a");
        await SendAsync(waiting, "d1", attempt: 1, sequence: 11);
        await OutcomeAsync(waiting, "d1", attempt: 1, "ServerError", latencyMs: 0);
        var underWay = await AcceptAsync("b");
        await SendAsync(underWay, "d1", attempt: 1, sequence: 12);

        var (_, spend) = await RestartWithSpendAsync();

        spend.Account(SpendBook.GroupKey("g")).Reserved.ShouldBe(CostCalculator.Cost(_catalog.Value.Deployments[0], 10, 20), "only the attempt under way holds its estimate");
    }

    [Fact]
    public async Task StartAsync_ManyJobsOfAFewMillionthsEach_SpendSumsExactly()
    {
        // A cost with more significant digits than a double holds, as a price per million
        // tokens with many decimals gives: summed as doubles it comes back rounded.
        const int Jobs = 1_000;
        const decimal Cost = 0.0000012345678901234567m;
        for (var i = 0; i < Jobs; i++)
        {
            var job = await AcceptAsync($"j{i}");
            await SendAsync(job, "d1", attempt: 1, sequence: 100 + i);
            (await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d1", 1, "{}", 1, 0, Cost, null, null, 200, null, 1), default)).ShouldBeTrue();
        }

        var (_, spend) = await RestartWithSpendAsync();

        spend.Account(SpendBook.GroupKey("g")).Spent.ShouldBe(Jobs * Cost);
    }

    [Fact]
    public async Task StartAsync_CostWithMoreDigitsThanADouble_SpendKeepsEveryDigit()
    {
        var cost = 0.1234567890123456789012345m;
        var job = await AcceptAsync("a");
        await SendAsync(job, "d1", attempt: 1, sequence: 11);
        await _ledger.CompleteAsync(new JobCompletion(job.JobId, true, "d1", 1, "{}", 1, 0, cost, null, null, 200, null, 1), default);

        var (_, spend) = await RestartWithSpendAsync();

        spend.Account(SpendBook.GroupKey("g")).Spent.ShouldBe(cost);
        (await _ledger.GetJobAsync(job.JobId, default))!.Cost.ShouldBe(cost);
    }

    private static QuotaUsage Usage(QuotaBook book, string deploymentId) => book.Usage().Single(u => u.DeploymentId == deploymentId);

    private async Task<JobRow> AcceptAsync(string customId) =>
        (await _ledger.AcceptJobAsync(new NewJob(Guid.NewGuid().ToString(), "b", customId, "g", null, 0, null, null, "{}", 10, 20), default)).Job;

    private async Task SendAsync(JobRow job, string deploymentId, int attempt, long sequence) =>
        (await _ledger.MarkDispatchedAsync(job.JobId, deploymentId, attempt, sequence, null, replacing: null, default)).ShouldBeTrue();

    private async Task OutcomeAsync(JobRow job, string deploymentId, int attempt, string errorKind, double latencyMs, long? tokens = null) =>
        (await _ledger.RecordAttemptAsync(
            new AttemptRow
            {
                JobId = job.JobId,
                Attempt = attempt,
                DeploymentId = deploymentId,
                ErrorKind = errorKind,
                LatencyMs = latencyMs,
                PromptTokens = tokens is null ? null : 10,
                CompletionTokens = tokens - 10,
            },
            default)).ShouldBeTrue();

    [Fact]
    public async Task StopAsync_LedgerLockedByAnotherConnectionAndTokenCancelled_ReturnsWithoutThrowing()
    {
        var (_, persistence, _) = await StartStandbyAsync();
        await persistence.TakeOverAsync(default);
        await using var holder = await LockLedgerAsync();
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        var stop = persistence.StopAsync(stopping.Token);

        // The busy timeout is 30 s: a stop that waited for the lock would not be back by then.
        (await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10)))).ShouldBe(stop, "the stop waited for the locked ledger");
        await stop;
    }

    [Fact]
    public async Task StopAsync_LedgerLockedUntilTheGraceRunsOut_GivesUpTheSaveWithoutThrowing()
    {
        var (_, persistence, _) = await StartStandbyAsync();
        await persistence.TakeOverAsync(default);
        await using var holder = await LockLedgerAsync();
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var stop = persistence.StopAsync(stopping.Token);

        (await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10)))).ShouldBe(stop, "the stop waited for the locked ledger past its token");
        await stop;
    }

    // Another process's write transaction on the ledger file, as a second dispatcher or an
    // operator's sqlite3 shell can hold it.
    private async Task<SqliteConnection> LockLedgerAsync()
    {
        var holder = new SqliteConnection($"Data Source={_ledger.FilePath};Pooling=False");
        await holder.OpenAsync();
        await holder.ExecuteAsync("BEGIN EXCLUSIVE");
        return holder;
    }

    private async Task<QuotaBook> RestartAsync() => (await RestartWithSpendAsync()).Quotas;

    private async Task<(QuotaBook Quotas, SpendBook Spend)> RestartWithSpendAsync()
    {
        var (book, persistence, spend) = await StartStandbyAsync();
        await persistence.StopAsync(default);
        return (book, spend);
    }

    private async Task<(QuotaBook Book, QuotaPersistence Persistence, SpendBook Spend)> StartStandbyAsync()
    {
        var book = new QuotaBook(_catalog, _time);
        var spend = new SpendBook(_catalog, _time);
        var persistence = new QuotaPersistence(book, spend, _catalog, _ledger, _time, NullLogger<QuotaPersistence>.Instance);
        await persistence.StartAsync(default);
        return (book, persistence, spend);
    }
}
