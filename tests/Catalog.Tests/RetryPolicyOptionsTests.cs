using Dispatcher.Contracts;

namespace Dispatcher.Catalog.Tests;

public sealed class RetryPolicyOptionsTests
{
    private static readonly RetryPolicyOptions Policy = new() { BaseDelaySeconds = 1, MaxDelaySeconds = 30, Jitter = 0.2 };

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 2.0)]
    [InlineData(4, 8.0)]
    [InlineData(10, 30.0)]
    public void Delay_MiddleOfJitter_DoublesPerFailureUpToTheCap(int failures, double seconds) =>
        Policy.Delay(ErrorKind.ServerError, failures, null, 0.5).TotalSeconds.ShouldBe(seconds, 1e-9);

    [Fact]
    public void Delay_JitterExtremes_SpreadByTheJitterShare()
    {
        Policy.Delay(ErrorKind.ServerError, 3, null, 0).TotalSeconds.ShouldBe(3.2, 1e-9);
        Policy.Delay(ErrorKind.ServerError, 3, null, 0.999999).TotalSeconds.ShouldBe(4.8, 1e-4);
    }

    [Fact]
    public void Delay_RetryAfterLongerThanBackoff_NeverShorterThanRetryAfter()
    {
        Policy.Delay(ErrorKind.RateLimited, 1, TimeSpan.FromSeconds(7), 1).ShouldBe(TimeSpan.FromSeconds(7));
        Policy.Delay(ErrorKind.RateLimited, 10, TimeSpan.FromSeconds(90), 0.5).ShouldBe(TimeSpan.FromSeconds(90), "a Retry-After beyond the cap still wins");
    }

    [Fact]
    public void Kinds_OverrideRetryAttemptsAndBaseDelay_CaseInsensitively()
    {
        var policy = new RetryPolicyOptions
        {
            Kinds = new()
            {
                ["timeout"] = new RetryKindOptions { Retry = false },
                ["ContentPolicy"] = new RetryKindOptions { Retry = true, MaxAttempts = 2 },
                ["RateLimited"] = new RetryKindOptions { BaseDelaySeconds = 4, MaxAttempts = 50 },
            },
        };

        policy.Retries(ErrorKind.Timeout).ShouldBeFalse();
        policy.Retries(ErrorKind.ServerError).ShouldBeTrue();
        policy.Retries(ErrorKind.ContentPolicy).ShouldBeTrue();
        policy.Retries(ErrorKind.InvalidRequest).ShouldBeFalse();
        policy.MaxAttempts(ErrorKind.ContentPolicy, 6).ShouldBe(2);
        policy.MaxAttempts(ErrorKind.RateLimited, 6).ShouldBe(6, "the group's cap still bounds every kind");
        policy.Delay(ErrorKind.RateLimited, 1, null, 0.5).ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(1_000_000.0)]
    [InlineData(double.MaxValue)]
    public void Delay_RetryAfterLongerThanADay_WaitsADay(double days)
    {
        var retryAfter = days >= TimeSpan.MaxValue.TotalDays ? TimeSpan.MaxValue : TimeSpan.FromDays(days);

        new RetryPolicyOptions().Delay(ErrorKind.RateLimited, 1, retryAfter, 0.5).ShouldBe(TimeSpan.FromDays(1));
    }

    [Theory]
    [InlineData(ErrorKind.WorkerFault, true)]
    [InlineData(ErrorKind.MalformedResponse, true)]
    [InlineData(ErrorKind.InvalidRequest, false)]
    [InlineData(ErrorKind.ContentPolicy, false)]
    public void Retries_KindNotNamedInPolicy_FollowsItsDefault(ErrorKind error, bool retried) =>
        new RetryPolicyOptions().Retries(error).ShouldBe(retried);
}
