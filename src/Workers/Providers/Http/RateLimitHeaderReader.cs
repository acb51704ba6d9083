using System.Globalization;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Reads <c>Retry-After</c>, <c>retry-after-ms</c>, OpenAI's <c>x-ratelimit-*</c> and Anthropic's
/// <c>anthropic-ratelimit-*</c> headers. Dates in the headers are turned into waits against
/// <see cref="TimeProvider"/>, so tests can pin "now".
/// </summary>
internal sealed class RateLimitHeaderReader(TimeProvider timeProvider)
{
    // Each provider reports a limit as a remaining counter plus the time it refills.
    private static readonly LimitHeaders[] RequestLimits =
    [
        new("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
        new("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
    ];

    private static readonly LimitHeaders[] TokenLimits =
    [
        new("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
        new("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
        new("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"),
        new("anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"),
    ];

    /// <summary>Reads the wait and the counters from <paramref name="headers"/>.</summary>
    public RateLimitHeaderValues Read(ProviderResponseHeaders headers)
    {
        var now = timeProvider.GetUtcNow();
        var requests = RequestLimits.Select(l => l.Read(headers, now)).Where(r => r.IsPresent).ToList();
        var tokens = TokenLimits.Select(l => l.Read(headers, now)).Where(r => r.IsPresent).ToList();

        var snapshot = requests.Count == 0 && tokens.Count == 0
            ? null
            : new RateLimitSnapshot(
                requests.FirstOrDefault()?.Remaining,
                Tightest(tokens)?.Remaining,
                requests.FirstOrDefault()?.Reset,
                Tightest(tokens)?.Reset);
        return new RateLimitHeaderValues(Wait(headers, now, requests.Concat(tokens)), snapshot);
    }

    // Retry-After is the provider's answer to "when may I call again", so when it is given it is
    // the wait: retry-after-ms first, as it is the more precise of the two. A reset time says when
    // a window is full again (OpenAI: "resets to its initial state"), which is usually much later
    // than the next call is admitted (a token window that refills in six minutes admits a call in
    // a second), so it is the wait only when the provider gave no Retry-After, and then only for a
    // limit that is used up (or whose counter is not given): OpenAI sends x-ratelimit-reset-* on
    // every answer, and a window that refills in six minutes while thousands of requests remain
    // asks nobody to wait. The resets still reach the dispatcher's buckets through the snapshot.
    private static TimeSpan? Wait(ProviderResponseHeaders headers, DateTimeOffset now, IEnumerable<LimitReading> limits)
    {
        if ((Milliseconds(headers["retry-after-ms"]) ?? RetryAfter(headers["retry-after"], now)) is { } retryAfter)
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
    internal static TimeSpan? RetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds >= 0 && seconds <= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? NonNegative(date - now)
            : null;
    }

    /// <summary>
    /// Parses a reset value: an OpenAI duration (<c>6m0s</c>), plain seconds, Unix seconds, or an
    /// RFC 3339 timestamp as Anthropic sends.
    /// </summary>
    internal static TimeSpan? Reset(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (OpenAiDuration.TryParse(value, out var duration))
        {
            return duration;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            // Some OpenAI-compatible servers send the reset as a Unix timestamp rather than a delay;
            // no window lasts 30 years, so a number that large must be a point in time.
            const double UnixSecondsThreshold = 1_000_000_000;
            if (seconds >= UnixSecondsThreshold)
            {
                return NonNegative(DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) - now);
            }

            return seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? NonNegative(date - now)
            : null;
    }

    private static TimeSpan? Milliseconds(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0 && ms <= TimeSpan.MaxValue.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    private static int? Count(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count >= 0
            ? (int)Math.Min(count, int.MaxValue)
            : null;

    // Of several token limits (Anthropic has total, input and output), the one closest to running out binds.
    private static LimitReading? Tightest(List<LimitReading> readings) =>
        readings.Where(r => r.Remaining is not null).MinBy(r => r.Remaining) ?? readings.FirstOrDefault();

    private static TimeSpan NonNegative(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;

    private sealed record LimitHeaders(string RemainingHeader, string ResetHeader)
    {
        public LimitReading Read(ProviderResponseHeaders headers, DateTimeOffset now) =>
            new(Count(headers[RemainingHeader]), Reset(headers[ResetHeader], now));
    }

    private sealed record LimitReading(int? Remaining, TimeSpan? Reset)
    {
        public bool IsPresent => Remaining is not null || Reset is not null;
    }
}
