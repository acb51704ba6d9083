using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Retries;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Retries;

public sealed class FailurePlannerTests
{
    private static FailurePlanner Planner(params ModelGroupOptions[] groups) => new(
        Options.Create(new CatalogOptions
        {
            Deployments =
            [
                Catalogs.Deployment("a1", "a", context: 8_000),
                Catalogs.Deployment("a2", "a", context: 8_000),
                Catalogs.Deployment("b1", "b", context: 8_000),
                Catalogs.Deployment("big", "long", context: 200_000),
            ],
            ModelGroups = [.. groups],
        }),
        () => 0.5);

    private static ModelGroupOptions GroupA(int maxAttempts = 4, params string[] fallbacks) =>
        new() { Name = "a", MaxAttempts = maxAttempts, Fallbacks = [.. fallbacks], Retry = new RetryPolicyOptions { BaseDelaySeconds = 2, Jitter = 0.2 } };

    private static JobRow Job(int attempts = 1, int attemptBase = 0) => new()
    {
        JobId = Guid.NewGuid().ToString(), CustomId = "c", ModelGroup = "a", Body = "{}", State = JobState.Dispatched,
        Attempts = attempts, AttemptBase = attemptBase,
    };

    private static CompletionAttempted Failed(string deployment, int attempt, ErrorKind error, TimeSpan? retryAfter = null) =>
        new(Guid.NewGuid(), deployment, attempt, error, 500, null, null, 10, "it failed", retryAfter);

    private static AttemptRow Row(string deployment, int attempt, ErrorKind error) =>
        new() { JobId = "j", Attempt = attempt, DeploymentId = deployment, ErrorKind = error.ToString() };

    [Fact]
    public void Plan_UntriedDeploymentInGroup_ReroutesAtOnceExcludingTheFailedOne()
    {
        var step = Planner(GroupA()).Plan(Job(), Failed("a1", 1, ErrorKind.ServerError), [Row("a1", 1, ErrorKind.ServerError)]);

        step.Kind.ShouldBe(NextStepKind.Fallback);
        step.Excluded.ShouldBe(["a1"]);
        step.ModelGroups.ShouldBe(["a"]);
    }

    [Fact]
    public void Plan_GroupExhausted_FallsBackAlongTheChain()
    {
        var step = Planner(GroupA(6, "b")).Plan(
            Job(2),
            Failed("a2", 2, ErrorKind.Timeout),
            [Row("a1", 1, ErrorKind.ServerError), Row("a2", 2, ErrorKind.Timeout)]);

        step.Kind.ShouldBe(NextStepKind.Fallback);
        step.Excluded.ShouldBe(["a1", "a2"], ignoreOrder: true);
        step.ModelGroups.ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Plan_EveryReachableDeploymentFailed_RetriesAfterBackoffNeverShorterThanRetryAfter()
    {
        var planner = Planner(GroupA(6));
        var history = new[] { Row("a1", 1, ErrorKind.RateLimited), Row("a2", 2, ErrorKind.RateLimited) };

        var backoff = planner.Plan(Job(2), Failed("a2", 2, ErrorKind.RateLimited), history);
        var retryAfter = planner.Plan(Job(2), Failed("a2", 2, ErrorKind.RateLimited, TimeSpan.FromSeconds(30)), history);

        backoff.Kind.ShouldBe(NextStepKind.Retry);
        backoff.Delay.ShouldBe(TimeSpan.FromSeconds(2), "the first round in which both deployments failed waits the base delay");
        backoff.Excluded.ShouldBeEmpty("once all were tried, any may take the retry");
        retryAfter.Delay.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Plan_OutOfAttempts_Fails()
    {
        var step = Planner(GroupA(maxAttempts: 2)).Plan(Job(2), Failed("a2", 2, ErrorKind.ServerError), [Row("a1", 1, ErrorKind.ServerError)]);

        step.Kind.ShouldBe(NextStepKind.Fail);
        step.Reason.ShouldContain("gave up after 2 attempt(s)");
    }

    [Fact]
    public void Plan_ReplayedJob_CountsAttemptsFromTheReplay()
    {
        var step = Planner(GroupA(maxAttempts: 2)).Plan(
            Job(3, attemptBase: 2),
            Failed("a1", 3, ErrorKind.ServerError),
            [Row("a1", 1, ErrorKind.ServerError), Row("a2", 2, ErrorKind.ServerError), Row("a1", 3, ErrorKind.ServerError)]);

        step.Kind.ShouldBe(NextStepKind.Fallback, "one attempt since the replay, and a2 has not failed it since");
        step.Excluded.ShouldBe(["a1"]);
    }

    [Theory]
    [InlineData(ErrorKind.InvalidRequest)]
    [InlineData(ErrorKind.ContentPolicy)]
    public void Plan_KindNotRetried_FailsWithTheProviderMessage(ErrorKind error)
    {
        var step = Planner(GroupA()).Plan(Job(), Failed("a1", 1, error), [Row("a1", 1, error)]);

        step.Kind.ShouldBe(NextStepKind.Fail);
        step.Reason.ShouldBe("it failed");
    }

    [Fact]
    public void Plan_KindPolicyDisablesRetry_Fails()
    {
        var group = GroupA();
        group.Retry.Kinds["ServerError"] = new RetryKindOptions { Retry = false };

        Planner(group).Plan(Job(), Failed("a1", 1, ErrorKind.ServerError), []).Kind.ShouldBe(NextStepKind.Fail);
    }

    [Fact]
    public void Plan_ContextLengthExceeded_ReroutesOnlyToLargerWindows()
    {
        var group = GroupA(4, "b");
        group.ContextWindowFallbacks = ["b", "long"];

        var step = Planner(group).Plan(Job(), Failed("a1", 1, ErrorKind.ContextLengthExceeded), [Row("a1", 1, ErrorKind.ContextLengthExceeded)]);

        step.Kind.ShouldBe(NextStepKind.Fallback);
        step.ModelGroups.ShouldBe(["a", "b", "long"]);
        step.Excluded.ShouldBe(["a1", "a2", "b1"], ignoreOrder: true);
    }

    [Fact]
    public void Plan_ContextLengthExceededWithNoLargerWindow_Fails()
    {
        var step = Planner(GroupA(4, "b")).Plan(Job(), Failed("a1", 1, ErrorKind.ContextLengthExceeded), []);

        step.Kind.ShouldBe(NextStepKind.Fail);
        step.Reason.ShouldContain("no deployment with a context window larger than 8000 tokens");
    }

    [Fact]
    public void Plan_LaterRounds_DoubleTheDelay()
    {
        var history = new[]
        {
            Row("a1", 1, ErrorKind.ServerError), Row("a2", 2, ErrorKind.ServerError),
            Row("a1", 3, ErrorKind.ServerError), Row("a2", 4, ErrorKind.ServerError),
        };

        var step = Planner(GroupA(8)).Plan(Job(4), Failed("a2", 4, ErrorKind.ServerError), history);

        step.Kind.ShouldBe(NextStepKind.Retry);
        step.Delay.ShouldBe(TimeSpan.FromSeconds(8), "third round: base 2 s doubled twice");
    }
}
