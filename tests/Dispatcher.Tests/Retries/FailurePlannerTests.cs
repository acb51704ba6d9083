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
    public void Plan_JobARuleSentToAnotherGroup_RetriesThereWhenItsDeploymentsFailed()
    {
        var planner = Planner(GroupA());

        var sent = planner.Plan(Job(), Failed("b1", 1, ErrorKind.ServerError), [Row("b1", 1, ErrorKind.ServerError)], routed: ["b"]);
        var unsent = planner.Plan(Job(), Failed("b1", 1, ErrorKind.ServerError), [Row("b1", 1, ErrorKind.ServerError)]);

        sent.Kind.ShouldBe(NextStepKind.Retry, "b1 is the only deployment the job can reach");
        sent.ModelGroups.ShouldBe(["a"], "dispatch follows the rule from the job's own group again");
        unsent.Kind.ShouldBe(NextStepKind.Fallback);
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

    // Attempts 1..count, all answered 429, alternating between the group's two deployments.
    private static List<AttemptRow> RateLimitedRows(int count, int from = 1) =>
        [.. Enumerable.Range(from, count).Select(a => Row(a % 2 == 1 ? "a1" : "a2", a, ErrorKind.RateLimited))];

    [Fact]
    public void Plan_RateLimitedMoreOftenThanMaxAttempts_KeepsRetrying()
    {
        var history = RateLimitedRows(6);

        var step = Planner(GroupA(maxAttempts: 4)).Plan(Job(6), Failed("a2", 6, ErrorKind.RateLimited, TimeSpan.FromSeconds(1)), history);

        step.Kind.ShouldBe(NextStepKind.Retry, "a 429 asks the job to wait; it does not use up the job's attempts");
        step.Delay.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Plan_ServerErrorsAfterSixRateLimits_StillHaveTheJobsAttempts()
    {
        var planner = Planner(GroupA(maxAttempts: 4));
        var history = RateLimitedRows(6);
        history.Add(Row("a1", 7, ErrorKind.ServerError));

        var first = planner.Plan(Job(7), Failed("a1", 7, ErrorKind.ServerError), history);
        history.Add(Row("a2", 8, ErrorKind.ServerError));
        history.Add(Row("a1", 9, ErrorKind.ServerError));
        var third = planner.Plan(Job(9), Failed("a1", 9, ErrorKind.ServerError), history);
        history.Add(Row("a2", 10, ErrorKind.ServerError));
        var fourth = planner.Plan(Job(10), Failed("a2", 10, ErrorKind.ServerError), history);

        first.Kind.ShouldNotBe(NextStepKind.Fail);
        third.Kind.ShouldNotBe(NextStepKind.Fail, "three attempts that were not rate-limited, of four");
        fourth.Kind.ShouldBe(NextStepKind.Fail);
        fourth.Reason.ShouldContain("gave up after 4 attempt(s)");
    }

    [Fact]
    public void Plan_RateLimitedMaxRateLimitedAttemptsTimes_Fails()
    {
        var group = GroupA(maxAttempts: 4);
        group.MaxRateLimitedAttempts = 5;
        var planner = Planner(group);

        var fourth = planner.Plan(Job(4), Failed("a2", 4, ErrorKind.RateLimited), RateLimitedRows(4));
        var fifth = planner.Plan(Job(5), Failed("a1", 5, ErrorKind.RateLimited), RateLimitedRows(5));

        fourth.Kind.ShouldBe(NextStepKind.Retry);
        fifth.Kind.ShouldBe(NextStepKind.Fail);
        fifth.Reason.ShouldContain("gave up after 5 rate-limited attempt(s)");
    }

    [Fact]
    public void Plan_RateLimitedByDefault_StopsAtFiftyRateLimitedAttempts()
    {
        var planner = Planner(GroupA(maxAttempts: 4));

        planner.Plan(Job(49), Failed("a1", 49, ErrorKind.RateLimited), RateLimitedRows(49)).Kind.ShouldBe(NextStepKind.Retry);
        planner.Plan(Job(50), Failed("a2", 50, ErrorKind.RateLimited), RateLimitedRows(50)).Kind.ShouldBe(NextStepKind.Fail);
    }

    [Fact]
    public void Plan_RateLimitedKindCap_BoundsTheRateLimitedAttempts()
    {
        var group = GroupA(maxAttempts: 4);
        group.Retry.Kinds["RateLimited"] = new RetryKindOptions { MaxAttempts = 8 };
        var planner = Planner(group);

        planner.Plan(Job(7), Failed("a1", 7, ErrorKind.RateLimited), RateLimitedRows(7)).Kind.ShouldBe(NextStepKind.Retry);
        planner.Plan(Job(8), Failed("a2", 8, ErrorKind.RateLimited), RateLimitedRows(8)).Kind.ShouldBe(NextStepKind.Fail);
    }

    [Fact]
    public void Plan_RateLimitAfterOtherFailures_DoesNotEndTheJob()
    {
        var history = new List<AttemptRow>
        {
            Row("a1", 1, ErrorKind.ServerError), Row("a2", 2, ErrorKind.ServerError),
            Row("a1", 3, ErrorKind.ServerError), Row("a2", 4, ErrorKind.RateLimited),
        };

        var step = Planner(GroupA(maxAttempts: 4)).Plan(Job(4), Failed("a2", 4, ErrorKind.RateLimited), history);

        step.Kind.ShouldBe(NextStepKind.Retry, "three attempts used, the fourth is still the job's");
    }

    [Fact]
    public void Plan_RateLimitsBeforeAReplay_DoNotCount()
    {
        var group = GroupA(maxAttempts: 4);
        group.MaxRateLimitedAttempts = 3;
        var history = RateLimitedRows(5);

        var step = Planner(group).Plan(Job(5, attemptBase: 3), Failed("a1", 5, ErrorKind.RateLimited), history);

        step.Kind.ShouldBe(NextStepKind.Retry, "two rate-limited attempts since the replay");
    }

    [Fact]
    public void Plan_AttemptWithNoRecordedOutcome_CountsAsAnAttempt()
    {
        // Attempt 2's outcome never arrived (its lease ran out and the job was re-driven).
        var history = new List<AttemptRow>
        {
            Row("a1", 1, ErrorKind.RateLimited), Row("a1", 3, ErrorKind.ServerError),
        };

        var step = Planner(GroupA(maxAttempts: 2)).Plan(Job(3), Failed("a1", 3, ErrorKind.ServerError), history);

        step.Kind.ShouldBe(NextStepKind.Fail);
        step.Reason.ShouldContain("gave up after 2 attempt(s)");
    }
}
