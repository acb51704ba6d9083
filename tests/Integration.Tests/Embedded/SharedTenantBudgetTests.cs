using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Testing;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>
/// A tenant's budget cap on a PostgreSQL ledger that another dispatcher shares: the ledger, not this
/// process's own spend book, decides whether a job's estimate still fits.
/// </summary>
public sealed class SharedTenantBudgetTests : IAsyncLifetime
{
    private PrivatePostgresCluster _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PrivatePostgresCluster.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Job_TenantCapFilledByAnotherDispatchersHold_EndsBudgetExhaustedWhileAnotherTenantsJobSucceeds()
    {
        // $1000 per 1M tokens: a job of this test (a short prompt, max_tokens 16) is estimated at
        // about $0.03, which alone fits the tenant's $0.20; with the other dispatcher's $0.19 it does not.
        var connectionString = await _postgres.CreateDatabaseAsync("shared_budget");
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new[]
                {
                    new
                    {
                        Id = "pricey", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 1,
                        InputPricePerMillion = 1000.0, OutputPricePerMillion = 1000.0,
                        Simulation = new { LatencyMs = 0, LatencySigma = 0.0, MinCompletionTokens = 4, MaxCompletionTokens = 4 },
                    },
                },
                Tenants = new[] { new { Name = "acme", Budget = new { Limit = 0.2, Period = "Day" } } },
            },
            services => services.PostConfigure<LedgerOptions>(o =>
            {
                o.Provider = LedgerProvider.Postgres;
                o.ConnectionString = connectionString;
            }));
        // A job first, so the dispatcher has taken over and read the ledger's spend before the other
        // dispatcher's hold exists: only the ledger then knows of that hold.
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        await SubmitAsync(pipeline.Bus, "nobody-1", null);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == 1, "the first result");
        var period = new BudgetOptions { Period = BudgetPeriod.Day }.PeriodStart(TimeProvider.System.GetUtcNow());
        await using (var other = new JobLedger(Options.Create(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = connectionString }), TimeProvider.System))
        {
            await other.InitializeAsync(default);
            var held = (await other.AcceptJobAsync(new NewJob(Guid.NewGuid().ToString(), "other", "o1", "gpt-test", "acme", 0, null, null, "{}", 10, 180), default)).Job;
            (await other.ClaimAttemptAsync(held.JobId, "pricey", 1, 1, null, null, new SpendHold(SpendBook.TenantKey("acme"), period, 0.2m, 0.19m, 0m), default))
                .ShouldBe(AttemptClaim.Claimed);
        }

        await SubmitAsync(pipeline.Bus, "acme-1", "acme");
        await SubmitAsync(pipeline.Bus, "nobody-2", null);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 3, "3 results");

        var failed = recorder.Failed.ShouldHaveSingleItem();
        failed.CustomId.ShouldBe("acme-1");
        failed.Error.ShouldBe(ErrorKind.BudgetExhausted);
        failed.Message.ShouldContain("tenant:acme");
        failed.Message.ShouldContain("every dispatcher sharing the ledger", Case.Sensitive, "the ledger refused the hold, not this process's own spend book");
        recorder.Succeeded.Select(s => s.CustomId).Order().ShouldBe(["nobody-1", "nobody-2"]);
        var local = pipeline.Services.GetRequiredService<SpendBook>().Account(SpendBook.TenantKey("acme"));
        local.ShouldBe((0m, 0m), "the refused job's hold in this process was given back");
        (await pipeline.Ledger.GetSpendAccountAsync(SpendBook.TenantKey("acme"), period, default)).ShouldBe(new SpendAccount(0m, 0.19m));

        // The periodic recompute brings this process's own account, its fast check, to the ledger's.
        await pipeline.Services.GetRequiredService<SharedTenantBudgets>().RecomputeAsync(default);
        pipeline.Services.GetRequiredService<SpendBook>().Account(SpendBook.TenantKey("acme")).ShouldBe((0m, 0.19m));
    }

    private static async Task SubmitAsync(IBus bus, string customId, string? tenant)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var body = JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });
        await intake.Send(new SubmitCompletion(customId, "gpt-test", body, "shared-budget", Guid.NewGuid(), tenant));
    }
}
