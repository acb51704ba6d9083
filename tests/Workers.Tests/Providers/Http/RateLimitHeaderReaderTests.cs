using CsCheck;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Providers.Http;

public sealed class RateLimitHeaderReaderTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Now);

    [Fact]
    public void Read_RetryAfterSeconds_ReturnsThatWait()
    {
        Read(("Retry-After", "12")).RetryAfter.ShouldBe(TimeSpan.FromSeconds(12));
    }

    [Fact]
    public void Read_RetryAfterHttpDate_ReturnsWaitUntilThatDateOnTheInjectedClock()
    {
        Read(("Retry-After", "Tue, 01 Jan 2030 12:00:45 GMT")).RetryAfter.ShouldBe(TimeSpan.FromSeconds(45));

        _clock.Advance(TimeSpan.FromSeconds(40));

        Read(("Retry-After", "Tue, 01 Jan 2030 12:00:45 GMT")).RetryAfter.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Read_RetryAfterHttpDateInThePast_ReturnsZero()
    {
        Read(("Retry-After", "Tue, 01 Jan 2030 11:59:00 GMT")).RetryAfter.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Read_RetryAfterMs_ReturnsMilliseconds()
    {
        Read(("retry-after-ms", "250")).RetryAfter.ShouldBe(TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public void Read_RetryAfterAndRetryAfterMs_ReturnsTheMorePreciseMilliseconds()
    {
        Read(("retry-after", "2"), ("retry-after-ms", "1500")).RetryAfter.ShouldBe(TimeSpan.FromMilliseconds(1500));
        Read(("retry-after", "3"), ("retry-after-ms", "2500")).RetryAfter.ShouldBe(TimeSpan.FromMilliseconds(2500));
    }

    [Fact]
    public void Read_UnreadableRetryAfterMs_FallsBackToRetryAfter()
    {
        Read(("retry-after", "2"), ("retry-after-ms", "soon")).RetryAfter.ShouldBe(TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("")]
    public void Read_UnreadableRetryAfter_ReturnsNoWait(string value)
    {
        Read(("retry-after", value), ("retry-after-ms", "later")).RetryAfter.ShouldBeNull();
    }

    [Fact]
    public void Read_OpenAiHeaders_ReturnsSnapshot()
    {
        var values = Read(
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-reset-tokens", "6m0s"));

        values.Snapshot.ShouldBe(new RateLimitSnapshot(59, 149984, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(6)));
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("2m59.56s", 179_560)]
    [InlineData("7", 7_000)]
    [InlineData("0.25", 250)]
    public void Read_OpenAiResetForms_ReturnsResetDuration(string value, double expectedMilliseconds)
    {
        Read(("x-ratelimit-reset-requests", value)).Snapshot.ShouldNotBeNull().ResetRequests.ShouldBe(TimeSpan.FromMilliseconds(expectedMilliseconds));
    }

    [Fact]
    public void Read_ResetAsUnixTimestamp_ReturnsWaitUntilThatTime()
    {
        var reset = (Now + TimeSpan.FromSeconds(90)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Read(("x-ratelimit-reset-tokens", reset)).Snapshot.ShouldNotBeNull().ResetTokens.ShouldBe(TimeSpan.FromSeconds(90));
    }

    [Fact]
    public void Read_AnthropicHeaders_ReturnsSnapshotFromRfc3339Resets()
    {
        var values = Read(
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2030-01-01T12:00:30Z"),
            ("anthropic-ratelimit-tokens-remaining", "78000"),
            ("anthropic-ratelimit-tokens-reset", "2030-01-01T12:01:00Z"));

        values.Snapshot.ShouldBe(new RateLimitSnapshot(49, 78000, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)));
        values.RetryAfter.ShouldBeNull();
    }

    [Fact]
    public void Read_AnthropicInputAndOutputTokenLimits_SnapshotHoldsEachApartAndTheTighterReset()
    {
        var values = Read(
            ("anthropic-ratelimit-input-tokens-remaining", "40000"),
            ("anthropic-ratelimit-input-tokens-reset", "2030-01-01T12:00:10Z"),
            ("anthropic-ratelimit-output-tokens-remaining", "900"),
            ("anthropic-ratelimit-output-tokens-reset", "2030-01-01T12:00:20+00:00"));

        var snapshot = values.Snapshot.ShouldNotBeNull();
        snapshot.RemainingInputTokens.ShouldBe(40000);
        snapshot.RemainingOutputTokens.ShouldBe(900);
        snapshot.RemainingTokens.ShouldBeNull("no combined limit was stated");
        snapshot.ResetTokens.ShouldBe(TimeSpan.FromSeconds(20));
        values.RetryAfter.ShouldBeNull();
    }

    [Fact]
    public void Read_AnthropicCombinedWithInputAndOutput_KeepsTheCombinedCounterAsRemainingTokens()
    {
        var values = Read(
            ("anthropic-ratelimit-tokens-remaining", "78000"),
            ("anthropic-ratelimit-input-tokens-remaining", "70000"),
            ("anthropic-ratelimit-output-tokens-remaining", "8000"));

        values.Snapshot.ShouldBe(new RateLimitSnapshot(null, 78000, null, null, 70000, 8000));
    }

    [Fact]
    public void Read_AnthropicOutputTokensUsedUp_WaitsForTheOutputReset()
    {
        var values = Read(
            ("anthropic-ratelimit-input-tokens-remaining", "40000"),
            ("anthropic-ratelimit-output-tokens-remaining", "0"),
            ("anthropic-ratelimit-output-tokens-reset", "2030-01-01T12:00:15Z"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(15));
        values.Snapshot.ShouldNotBeNull().RemainingOutputTokens.ShouldBe(0);
    }

    [Fact]
    public void Read_ExhaustedLimitWithoutRetryAfter_ItsResetIsTheWait()
    {
        var values = Read(
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2030-01-01T12:00:25Z"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(25));
    }

    [Fact]
    public void Read_ExhaustedLimitsWithoutRetryAfter_TheLaterResetIsTheWait()
    {
        var values = Read(
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "2s"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "7s"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void Read_ExhaustedLimitWithRetryAfter_RetryAfterIsTheWait()
    {
        var values = Read(
            ("retry-after", "3"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2030-01-01T12:00:25Z"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Read_RetryAfterOneSecondAndTokensResetInSixMinutes_WaitsOneSecondAndSnapshotKeepsTheReset()
    {
        var values = Read(
            ("retry-after", "1"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(1));
        values.Snapshot.ShouldNotBeNull().ResetTokens.ShouldBe(TimeSpan.FromMinutes(6));
        values.Snapshot.RemainingTokens.ShouldBe(0);
    }

    [Fact]
    public void Read_RetryAfterMsWithExhaustedLimit_RetryAfterMsIsTheWait()
    {
        var values = Read(
            ("retry-after-ms", "750"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "20s"));

        values.RetryAfter.ShouldBe(TimeSpan.FromMilliseconds(750));
    }

    [Fact]
    public void Read_LimitWithRequestsLeft_ItsResetIsNoWait()
    {
        var values = Read(
            ("retry-after", "3"),
            ("x-ratelimit-remaining-requests", "5000"),
            ("x-ratelimit-reset-requests", "6m0s"));

        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Read_ResetWithoutRemainingCounter_CountsAsWait()
    {
        Read(("x-ratelimit-reset-tokens", "20s")).RetryAfter.ShouldBe(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Read_NoRateLimitHeaders_ReturnsNothing()
    {
        var values = Read(("content-type", "application/json"));

        values.RetryAfter.ShouldBeNull();
        values.Snapshot.ShouldBeNull();
    }

    [Fact]
    public void Read_HeaderNamesInAnyCase_AreFound()
    {
        var values = Read(("X-RateLimit-Remaining-Requests", "3"), ("RETRY-AFTER", "4"));

        values.Snapshot.ShouldNotBeNull().RemainingRequests.ShouldBe(3);
        values.RetryAfter.ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Theory]
    [InlineData("x-ratelimit-reset-tokens", "99999999999999999")]
    [InlineData("x-ratelimit-reset-tokens", "1e300")]
    [InlineData("x-ratelimit-reset-tokens", "9999999999999999999h")]
    [InlineData("x-ratelimit-reset-tokens", "900000000")]
    [InlineData("anthropic-ratelimit-tokens-reset", "9999-12-31T23:59:59Z")]
    public void Read_AbsurdReset_ClampsToADay(string header, string value)
    {
        var values = Read((header, value));

        values.Snapshot.ShouldNotBeNull().ResetTokens.ShouldBe(TimeSpan.FromDays(1));
        values.RetryAfter.ShouldBe(TimeSpan.FromDays(1), "a reset with no counter is a wait, and no wait is longer than a day");
        values.Anomalies.ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.Reset);
        values.Anomalies[0].Detail.ShouldStartWith(header);
    }

    [Theory]
    [InlineData("retry-after", "1e300")]
    [InlineData("retry-after", "99999999999999999999999")]
    [InlineData("retry-after", "172800")]
    [InlineData("retry-after-ms", "1e300")]
    [InlineData("retry-after-ms", "172800000")]
    public void Read_AbsurdRetryAfter_ClampsToADay(string header, string value)
    {
        var values = Read((header, value));

        values.RetryAfter.ShouldBe(TimeSpan.FromDays(1));
        values.Anomalies.ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.RetryAfter);
    }

    [Theory]
    [InlineData("retry-after", "-5")]
    [InlineData("retry-after-ms", "NaN")]
    public void Read_NegativeOrNaNRetryAfter_IsDroppedAsAnAnomaly(string header, string value)
    {
        var values = Read((header, value));

        values.RetryAfter.ShouldBeNull();
        values.Anomalies.ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.RetryAfter);
    }

    [Theory]
    [InlineData("3000000000")]
    [InlineData("99999999999999999999")]
    [InlineData("1e30")]
    public void Read_RemainingBeyondIntRange_ClampsToIntMax(string value)
    {
        var values = Read(("x-ratelimit-remaining-tokens", value));

        values.Snapshot.ShouldNotBeNull().RemainingTokens.ShouldBe(int.MaxValue);
        values.Anomalies.ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.Remaining);
    }

    [Fact]
    public void Read_NegativeRemaining_IsDroppedAsAnAnomaly()
    {
        var values = Read(("x-ratelimit-remaining-requests", "-5"), ("x-ratelimit-reset-requests", "1s"));

        values.Snapshot.ShouldNotBeNull().RemainingRequests.ShouldBeNull();
        values.Anomalies.ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.Remaining);
    }

    [Fact]
    public void Read_SaneHeaders_RecordNoAnomaly()
    {
        var values = Read(
            ("retry-after", "2"),
            ("retry-after-ms", "1500"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"),
            ("anthropic-ratelimit-tokens-reset", "2030-01-01T11:00:00Z"));

        values.Anomalies.ShouldBeEmpty();
    }

    [Fact]
    public void Read_AnyHeaderValues_NeverThrowsAndStaysInRange()
    {
        // Digits, signs, exponents, units and date characters, alone and in absurd combinations.
        var text = Gen.OneOf(
            Gen.Char["0123456789.e+-hmsuZT: "].Array[0, 32].Select(c => new string(c)),
            Gen.OneOf("99999999999999999", "1e300", "-1e300", "1e400", "NaN", "Infinity", "-Infinity", "9999-12-31T23:59:59Z",
                "0001-01-01T00:00:00Z", "Fri, 31 Dec 9999 23:59:59 GMT", "9999999999999999999h", "253402300800", "-62135596801"));
        string[] names =
        [
            "retry-after", "retry-after-ms", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
            "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset",
        ];

        text.Array[names.Length].Sample(values =>
        {
            var read = Read([.. names.Zip(values)]);

            (read.RetryAfter ?? TimeSpan.Zero).ShouldBeInRange(TimeSpan.Zero, TimeSpan.FromDays(1));
            (read.Snapshot?.ResetRequests ?? TimeSpan.Zero).ShouldBeInRange(TimeSpan.Zero, TimeSpan.FromDays(1));
            (read.Snapshot?.ResetTokens ?? TimeSpan.Zero).ShouldBeInRange(TimeSpan.Zero, TimeSpan.FromDays(1));
            (read.Snapshot?.RemainingRequests ?? 0).ShouldBeGreaterThanOrEqualTo(0);
            (read.Snapshot?.RemainingTokens ?? 0).ShouldBeGreaterThanOrEqualTo(0);
        });
    }

    private RateLimitHeaderValues Read(params (string Name, string Value)[] headers) =>
        new RateLimitHeaderReader(_clock).Read(ProviderResponseHeaders.From(headers.Select(h => KeyValuePair.Create(h.Name, h.Value))));
}
