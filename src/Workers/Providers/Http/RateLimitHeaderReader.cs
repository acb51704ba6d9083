using System.Globalization;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Reads <c>Retry-After</c>, <c>retry-after-ms</c>, OpenAI's <c>x-ratelimit-*</c> and Anthropic's
/// <c>anthropic-ratelimit-*</c> headers. Dates in the headers are turned into waits against
/// <see cref="TimeProvider"/>, so tests can pin "now".
/// </summary>
/// <remarks>
/// Reading never throws, whatever the provider sends. A wait or reset longer than
/// <see cref="MaxWait"/> is read as <see cref="MaxWait"/>, a counter beyond <see cref="int"/>'s
/// range as <see cref="int.MaxValue"/>, and a negative one is dropped; each such value is
/// reported as a <see cref="ProviderAnomaly"/>. Text that is no number or date at all is ignored,
/// as if the header were absent.
/// </remarks>
internal sealed class RateLimitHeaderReader(TimeProvider timeProvider)
{
    /// <summary>
    /// The longest wait any header is taken to state. No provider's window is longer than a day, and
    /// an unbounded wait would park a deployment (and every job waiting for it) for good.
    /// </summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    // Some OpenAI-compatible servers send the reset as a Unix timestamp rather than a delay; no
    // window lasts 30 years, so a number of seconds that large must be a point in time.
    private const double UnixSecondsThreshold = 1_000_000_000;

    // Each provider reports a limit as a remaining counter plus the time it refills.
    private static readonly LimitHeaders[] RequestLimits =
    [
        new("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
        new("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
    ];

    // A combined (input plus output) token limit.
    private static readonly LimitHeaders[] TokenLimits =
    [
        new("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
        new("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
    ];

    // Anthropic's separate input and output token limits, which a deployment following its limit
    // model keeps as separate buckets.
    private static readonly LimitHeaders InputTokenLimit = new("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset");
    private static readonly LimitHeaders OutputTokenLimit = new("anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset");

    /// <summary>Reads the wait and the counters from <paramref name="headers"/>.</summary>
    public RateLimitHeaderValues Read(ProviderResponseHeaders headers)
    {
        var now = timeProvider.GetUtcNow();
        var anomalies = new List<ProviderAnomaly>();
        var requests = RequestLimits.Select(l => l.Read(headers, now, anomalies)).Where(r => r.IsPresent).ToList();
        var tokens = TokenLimits.Select(l => l.Read(headers, now, anomalies)).Where(r => r.IsPresent).ToList();
        var input = InputTokenLimit.Read(headers, now, anomalies);
        var output = OutputTokenLimit.Read(headers, now, anomalies);
        var split = new[] { input, output }.Where(r => r.IsPresent).ToList();
        var anyTokens = tokens.Concat(split).ToList();

        var snapshot = requests.Count == 0 && anyTokens.Count == 0
            ? null
            : new RateLimitSnapshot(
                requests.FirstOrDefault()?.Remaining,
                Tightest(tokens)?.Remaining,
                requests.FirstOrDefault()?.Reset,
                Tightest(anyTokens)?.Reset,
                input.Remaining,
                output.Remaining);
        return new RateLimitHeaderValues(Wait(headers, now, requests.Concat(anyTokens), anomalies), snapshot, anomalies);
    }

    // Retry-After is the provider's answer to "when may I call again", so when it is given it is
    // the wait: retry-after-ms first, as it is the more precise of the two. A reset time says when
    // a window is full again (OpenAI: "resets to its initial state"), which is usually much later
    // than the next call is admitted (a token window that refills in six minutes admits a call in
    // a second), so it is the wait only when the provider gave no Retry-After, and then only for a
    // limit that is used up (or whose counter is not given): OpenAI sends x-ratelimit-reset-* on
    // every answer, and a window that refills in six minutes while thousands of requests remain
    // asks nobody to wait. The resets still reach the dispatcher's buckets through the snapshot.
    private static TimeSpan? Wait(ProviderResponseHeaders headers, DateTimeOffset now, IEnumerable<LimitReading> limits, List<ProviderAnomaly> anomalies)
    {
        if ((Milliseconds(headers["retry-after-ms"], anomalies) ?? RetryAfter(headers["retry-after"], now, anomalies)) is { } retryAfter)
        {
            return retryAfter;
        }

        TimeSpan? wait = null;
        foreach (var limit in limits)
        {
            if (limit.Remaining is null or <= 0 && limit.Reset is { } reset && (wait is null || reset > wait))
            {
                wait = reset;
            }
        }

        return wait;
    }

    /// <summary>Parses a <c>Retry-After</c> value: delay-seconds or an HTTP-date.</summary>
    internal static TimeSpan? RetryAfter(string? value, DateTimeOffset now, List<ProviderAnomaly> anomalies)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return Delay(seconds, TimeSpan.TicksPerSecond, ProviderAnomaly.RetryAfter, "retry-after", value, anomalies);
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? Until(date, now, ProviderAnomaly.RetryAfter, "retry-after", value, anomalies)
            : null;
    }

    /// <summary>
    /// Parses a reset value: an OpenAI duration (<c>6m0s</c>), plain seconds, Unix seconds, or an
    /// RFC 3339 timestamp as Anthropic sends.
    /// </summary>
    internal static TimeSpan? Reset(string header, string? value, DateTimeOffset now, List<ProviderAnomaly> anomalies)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OpenAiDuration.TryParse(value, out var duration))
        {
            return Bounded(duration, ProviderAnomaly.Reset, header, value, anomalies);
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds >= UnixSecondsThreshold)
            {
                // Beyond DateTimeOffset's range (past the year 9999), which no reset is.
                return seconds * 1000 <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
                    ? Until(DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)), now, ProviderAnomaly.Reset, header, value, anomalies)
                    : Clamped(ProviderAnomaly.Reset, header, value, anomalies);
            }

            return Delay(seconds, TimeSpan.TicksPerSecond, ProviderAnomaly.Reset, header, value, anomalies);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? Until(date, now, ProviderAnomaly.Reset, header, value, anomalies)
            : null;
    }

    private static TimeSpan? Milliseconds(string? value, List<ProviderAnomaly> anomalies) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
            ? Delay(ms, TimeSpan.TicksPerMillisecond, ProviderAnomaly.RetryAfter, "retry-after-ms", value!, anomalies)
            : null;

    // A counter: negative is impossible and dropped; beyond int's range (a provider with more
    // than two billion tokens a window left) it is read as int.MaxValue, which still means "plenty".
    private static int? Count(string header, string? value, List<ProviderAnomaly> anomalies)
    {
        if (string.IsNullOrWhiteSpace(value) || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
        {
            return null;
        }

        if (double.IsNaN(count) || count < 0)
        {
            anomalies.Add(ProviderAnomaly.Of(ProviderAnomaly.Remaining, header, value, "is not a count; ignored"));
            return null;
        }

        if (count > int.MaxValue)
        {
            anomalies.Add(ProviderAnomaly.Of(ProviderAnomaly.Remaining, header, value, $"is beyond {int.MaxValue}; read as {int.MaxValue}"));
            return int.MaxValue;
        }

        return (int)count;
    }

    // A number of units (seconds, milliseconds) as a wait: not a number or negative is dropped,
    // longer than MaxWait (infinity included) is MaxWait.
    private static TimeSpan? Delay(double amount, double ticksPerUnit, string kind, string header, string value, List<ProviderAnomaly> anomalies)
    {
        if (double.IsNaN(amount) || amount < 0)
        {
            anomalies.Add(ProviderAnomaly.Of(kind, header, value, "is not a wait; ignored"));
            return null;
        }

        return amount * ticksPerUnit > MaxWait.Ticks
            ? Clamped(kind, header, value, anomalies)
            : TimeSpan.FromTicks((long)Math.Round(amount * ticksPerUnit));
    }

    // The wait until a point in time: one already past is no wait (clocks differ), one further
    // than MaxWait is MaxWait.
    private static TimeSpan Until(DateTimeOffset date, DateTimeOffset now, string kind, string header, string value, List<ProviderAnomaly> anomalies)
    {
        // Both within DateTimeOffset's range, so the difference is within TimeSpan's.
        var wait = date - now;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : Bounded(wait, kind, header, value, anomalies);
    }

    private static TimeSpan Bounded(TimeSpan wait, string kind, string header, string value, List<ProviderAnomaly> anomalies) =>
        wait > MaxWait ? Clamped(kind, header, value, anomalies) : wait;

    private static TimeSpan Clamped(string kind, string header, string value, List<ProviderAnomaly> anomalies)
    {
        anomalies.Add(ProviderAnomaly.Of(kind, header, value, "is longer than a day; read as one day"));
        return MaxWait;
    }

    // Of several token limits, the one closest to running out binds.
    private static LimitReading? Tightest(List<LimitReading> readings) =>
        readings.Where(r => r.Remaining is not null).MinBy(r => r.Remaining) ?? readings.FirstOrDefault();

    private sealed record LimitHeaders(string RemainingHeader, string ResetHeader)
    {
        public LimitReading Read(ProviderResponseHeaders headers, DateTimeOffset now, List<ProviderAnomaly> anomalies) =>
            new(Count(RemainingHeader, headers[RemainingHeader], anomalies), Reset(ResetHeader, headers[ResetHeader], now, anomalies));
    }

    private sealed record LimitReading(int? Remaining, TimeSpan? Reset)
    {
        public bool IsPresent => Remaining is not null || Reset is not null;
    }
}
