using Dispatcher.ServiceDefaults.Messaging;

namespace Dispatcher.ServiceDefaults.Tests.Messaging;

public sealed class MessageRetryOptionsTests
{
    private static readonly MessageRetryOptionsValidator Validator = new();

    [Fact]
    public void Delays_Defaults_GrowFromFirstToMaxUnderAMinute()
    {
        var delays = new MessageRetryOptions().Delays();

        delays.Select(d => Math.Round(d.TotalSeconds, 2)).ShouldBe([0.1, 0.32, 1.0, 3.16, 10.0]);
        delays.Aggregate(TimeSpan.Zero, (sum, d) => sum + d).ShouldBeLessThan(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Delays_NoRetries_IsEmpty() =>
        new MessageRetryOptions { Retries = 0 }.Delays().ShouldBeEmpty();

    [Fact]
    public void Delays_OneRetry_WaitsTheFirstDelay() =>
        new MessageRetryOptions { Retries = 1 }.Delays().ShouldBe([TimeSpan.FromMilliseconds(100)]);

    [Fact]
    public void Validate_Defaults_Succeeds() =>
        Validator.Validate(null, new MessageRetryOptions()).Succeeded.ShouldBeTrue();

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Validate_RetriesOutOfRange_FailsNamingTheKey(int retries)
    {
        var result = Validator.Validate(null, new MessageRetryOptions { Retries = retries });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("MessageRetry:Retries");
    }

    [Fact]
    public void Validate_FirstDelayNotPositive_FailsNamingTheKey()
    {
        var result = Validator.Validate(null, new MessageRetryOptions { FirstDelay = TimeSpan.Zero });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("MessageRetry:FirstDelay");
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(61)]
    public void Validate_MaxDelayBelowFirstOrAboveAMinute_FailsNamingTheKey(double seconds)
    {
        var result = Validator.Validate(null, new MessageRetryOptions { MaxDelay = TimeSpan.FromSeconds(seconds) });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("MessageRetry:MaxDelay");
    }
}
