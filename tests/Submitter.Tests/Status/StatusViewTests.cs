using Dispatcher.Fairness;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Submitter.Status;
using Spectre.Console;

namespace Dispatcher.Submitter.Tests.Status;

public sealed class StatusViewTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 22, 49, 43, TimeSpan.Zero);

    [Fact]
    public void Create_DeploymentPaused_ShowsUntilWhenTimeLeftWhyAndJobsWaiting()
    {
        var pause = PauseStatus.From(new DeploymentPause("sim-east", At.AddSeconds(30), "429 Retry-After 30 s", 12), At, "quota");

        var text = Render(Status(Deployment("sim-east", pause), Deployment("sim-west", null)));

        var until = At.AddSeconds(30).ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        RowOf(text, "sim-east paused").ShouldBe($"sim-east paused by the provider until {until}, 30 s left (429 Retry-After 30 s), 12 jobs waiting");
        text.ShouldNotContain("sim-west paused");
    }

    [Fact]
    public void Create_PauseFromTheLedgerOfMinutes_ShowsTheTimeLeftInHoursMinutesSeconds()
    {
        var pause = PauseStatus.From(new DeploymentPause("sim-east", At.AddSeconds(125), null, 0), At, "ledger");

        var text = Render(Status(Deployment("sim-east", pause)));

        RowOf(text, "sim-east paused").ShouldContain(", 0:02:05 left");
        RowOf(text, "sim-east paused").ShouldNotContain("waiting");
    }

    [Fact]
    public void Create_NoDeploymentPaused_NoPauseLine()
    {
        Render(Status(Deployment("sim-east", null))).ShouldNotContain("paused");
    }

    [Fact]
    public void Create_BatchAt80Columns_KeepsItsIdWholeAndSaysItsEta()
    {
        const string Id = "batch_8f310000f29a7dec5ab208df5258f926";
        var batch = new BatchProgress(Id, "batch-1000.jsonl", 1000, 0, 600, 64, 310, 26, 0.0123, false, "2026-01-01T22:40:00Z",
            ThroughputPerSecond: 20, EtaSeconds: 32);
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with { Status = r.Status with { Batches = new BatchTotals(1, 1000, 600, 64, 310, 26, 20, 32, [batch]) } }
            : null!;

        var text = Render(report, width: 80);

        RowOf(text, Id).ShouldStartWith(Id);
        RowOf(text, "ended").ShouldContain("336 of 1,000 ended (310 ok, 26 failed)");
        RowOf(text, "ended").ShouldContain("ETA 00:00:32");
    }

    [Fact]
    public void Create_BatchWithMetadata_ShowsItsPairsUnderTheBatch()
    {
        const string Id = "batch_8f310000f29a7dec5ab208df5258f926";
        var metadata = new Dictionary<string, string> { ["team"] = "search", ["run"] = "[nightly]" };
        var batch = new BatchProgress(Id, "batch-1000.jsonl", 10, 0, 0, 0, 10, 0, 0, true, "2026-01-01T22:40:00Z", BatchState.Completed, Metadata: metadata);
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with { Status = r.Status with { Batches = new BatchTotals(0, 0, 0, 0, 0, 0, 0, 0, [batch]) } }
            : null!;

        var text = Render(report, width: 80);

        RowOf(text, "metadata").ShouldBe("  metadata team=search · run=[nightly]");
    }

    [Fact]
    public void Create_BatchCancelledWithAReason_ShowsTheReasonUnderTheBatch()
    {
        var batch = new BatchProgress("b", null, 10, 0, 0, 0, 4, 6, 0, true, "2026-01-01T22:40:00Z", BatchState.Cancelled, Reason: "wrong [prompt]");
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with { Status = r.Status with { Batches = new BatchTotals(0, 0, 0, 0, 0, 0, 0, 0, [batch]) } }
            : null!;

        RowOf(Render(report), "wrong").ShouldBe("  cancelled: wrong [prompt]");
    }

    [Fact]
    public void Create_BatchWithoutMetadata_NoMetadataLine()
    {
        var batch = new BatchProgress("b", null, 1, 0, 0, 0, 1, 0, 0, true, "2026-01-01T22:40:00Z", BatchState.Completed);
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with { Status = r.Status with { Batches = new BatchTotals(0, 0, 0, 0, 0, 0, 0, 0, [batch]) } }
            : null!;

        Render(report).ShouldNotContain("metadata");
    }

    [Fact]
    public void Create_DeploymentsAt80Columns_OneLineEachWithTheirNumbersWhole()
    {
        var quota = new QuotaUsage("sim-selfhosted", 5_999, 1, 6_000, 1_999_000, 1_000, 2_000_000, 16, 0);
        var busy = new DeploymentStatus("sim-selfhosted", "gpt-4o-mini", "Simulated", quota, new BreakerStatus("open", "5 consecutive failures", null, "gate"), 5_210, 3, null);

        var text = Render(Status(busy), width: 80);

        var row = RowOf(text, "│ sim-selfhosted ");
        row.ShouldContain("5,999/6,000");
        row.ShouldContain("2.0M/2.0M");
        row.ShouldContain("5,210/3");
        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80);
        RowOf(text, "breaker open").ShouldBe("sim-selfhosted (gpt-4o-mini) breaker open: 5 consecutive failures");
    }

    [Fact]
    public void Create_WeightedAdaptiveDeployments_LineUnderTheTableWithTheirWeightWithin80Columns()
    {
        var closed = new BreakerStatus("closed", null, null, "gate");

        var text = Render(Status(
            new DeploymentStatus("sim-fast", "gpt-4o-mini", "Simulated", null, closed, 10, 0, null, RoutingWeight: 1),
            new DeploymentStatus("sim-flaky", "gpt-4o-mini", "Simulated", null, closed, 10, 0, null, RoutingWeight: 0.0833),
            new DeploymentStatus("sim-plain", "other", "Simulated", null, closed, 10, 0, null)), width: 80);

        RowOf(text, "sim-fast (").ShouldBe("sim-fast (gpt-4o-mini) routing weight 1");
        RowOf(text, "sim-flaky (").ShouldBe("sim-flaky (gpt-4o-mini) routing weight 0.08");
        text.ShouldNotContain("sim-plain (other) routing weight");
        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80);
    }

    [Fact]
    public void Create_DeploymentOutsideItsWindows_LineUnderTheTableSaysUntilWhenWithin80Columns()
    {
        var breaker = new BreakerStatus("closed", null, null, "gate");

        var text = Render(Status(
            new DeploymentStatus("night-box", "gpt-4o-mini", "OpenAI", null, breaker, 10, 0, Closed: "closed until 22:00 Europe/Berlin, window 0"),
            new DeploymentStatus("openai-main", "gpt-4o-mini", "OpenAI", null, breaker, 10, 0)), width: 80);

        RowOf(text, "night-box (").ShouldBe("night-box (gpt-4o-mini) closed until 22:00 Europe/Berlin, window 0");
        text.ShouldNotContain("openai-main (gpt-4o-mini) closed");
        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80);
    }

    [Fact]
    public void Create_AnthropicAndConcurrencyDeploymentsAt80Columns_ShowInputOutputAndInFlightBound()
    {
        var anthropic = new QuotaUsage("claude-main", 3_999, 1, 4_000, 0, 0, null, 2, 0,
            InputTokens: new QuotaDimensionUsage(391_000, 9_000, 400_000), OutputTokens: new QuotaDimensionUsage(79_000, 1_000, 80_000));
        var vllm = new QuotaUsage("vllm-local", 0, 0, null, 0, 0, null, 3, 0, MaxConcurrent: 16);
        var closed = new BreakerStatus("closed", null, null, "gate");

        var text = Render(Status(
            new DeploymentStatus("claude-main", "claude-haiku", "Anthropic", anthropic, closed, 10, 0, null),
            new DeploymentStatus("vllm-local", "gpt-4o-mini", "OpenAI", vllm, closed, 10, 0, null)), width: 80);

        RowOf(text, "│ claude-main ").ShouldContain("in/out");
        RowOf(text, "claude-main tokens").ShouldBe("claude-main tokens free now / limit: input 391k/400k · output 79k/80k");
        RowOf(text, "│ vllm-local ").ShouldContain("3/16");
        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80);
    }

    [Fact]
    public void Create_TenantsAt80Columns_ShareBesideTheFairShareWaitingAndWait()
    {
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with
            {
                Status = r.Status with
                {
                    Tenants =
                    [
                        new TenantShare("acme-research-department", 2, 64, 1_200, 1_500_000, 0.6, 0.24),
                        new TenantShare("", 1, 3, 800, 1_000_000, 0.4, 12.34),
                    ],
                },
            }
            : null!;

        var text = Render(report, width: 80);

        var acme = RowOf(text, "│ acme-research-department ");
        acme.ShouldContain("60 %");
        acme.ShouldContain("67 %"); // weight 2 of 3
        acme.ShouldContain("1.5M");
        acme.ShouldContain("0.2 s");
        RowOf(text, "│ (none) ").ShouldContain("12.3 s");
        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80);
    }

    [Fact]
    public void Create_NoTenantShares_NoTenantsTable()
    {
        Render(Status(Deployment("sim-east", null))).ShouldNotContain("tenants");
    }

    [Fact]
    public void Create_QueuesWithLongNamesAt80Columns_OneLineEachWithinTheWidth()
    {
        var queues = new[]
        {
            new Dispatcher.ServiceDefaults.Management.QueueDepthSample("provider.some-long-deployment-id-here", 1_234_567, 64, 12, 1234.5, 987.6),
            new Dispatcher.ServiceDefaults.Management.QueueDepthSample("dispatcher-delay-00-05-00", 10, 0, 0, null, null),
        };
        var report = Status(Deployment("sim-east", null)) is var r
            ? r with { Status = r.Status with { Queues = new QueueStatus(At, "management API", queues) } }
            : null!;

        var text = Render(report, width: 80);

        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80, text);
        RowOf(text, "1,234,567").ShouldContain("-id-here │");
        RowOf(text, "dispatcher-delay-00-05-00");
    }

    private static DeploymentStatus Deployment(string id, PauseStatus? pause) =>
        new(id, "gpt-test", "Simulated", null, new BreakerStatus("closed", null, null, "ledger"), 0, 0, pause);

    private static StatusReport Status(params DeploymentStatus[] deployments) => new(
        new DispatcherStatus(
            At,
            "InMemory",
            new QueueStatus(null, "unavailable", []),
            deployments,
            [],
            new BatchTotals(0, 0, 0, 0, 0, 0, 0, null, []),
            0,
            new LooseJobs(0, 0, 0, 0)),
        "test");

    private static string Render(StatusReport report, int width = 200)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Write(StatusView.Create(report, null));
        return writer.ToString();
    }

    private static string RowOf(string text, string key) =>
        text.Split('\n').FirstOrDefault(line => line.Contains(key, StringComparison.Ordinal))?.TrimEnd()
        ?? throw new ShouldAssertException($"no line with '{key}' in:\n{text}");
}
