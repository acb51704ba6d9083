using Dispatcher.Catalog;
using Dispatcher.Catalog.Limits;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The simulated provider's own rate limits: requests and tokens counted on arrival over a
/// sliding window, as a strict provider counts them. It reports what is left on every answer,
/// like <c>x-ratelimit-remaining-*</c>, and how long to wait when it refuses.
/// </summary>
internal sealed class SimulatedLimits
{
    private readonly SlidingWindow? _requests;
    private readonly SlidingWindow? _tokens;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Lock _lock = new();

    public SimulatedLimits(SimulationOptions options, TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _requests = options.EnforceRpm is { } rpm ? new SlidingWindow(rpm, options.EnforceWindowSeconds) : null;
        _tokens = options.EnforceTpm is { } tpm ? new SlidingWindow(tpm, options.EnforceWindowSeconds) : null;
    }

    public bool Enforced => _requests is not null || _tokens is not null;

    /// <summary>Admits a call of <paramref name="tokens"/>, or says how long until it would be admitted.</summary>
    public bool TryAdmit(int tokens, out TimeSpan retryAfter, out RateLimitSnapshot remaining)
    {
        lock (_lock)
        {
            var now = _time.GetElapsedTime(_origin).TotalSeconds;
            var fits = (_requests?.Fits(1, now) ?? true) && (_tokens?.Fits(tokens, now) ?? true);
            retryAfter = TimeSpan.Zero;
            if (fits)
            {
                _requests?.Add(1, now, now);
                _tokens?.Add(tokens, now, now);
            }
            else
            {
                retryAfter = TimeSpan.FromSeconds(Math.Max(_requests?.SecondsUntil(1, now) ?? 0, _tokens?.SecondsUntil(tokens, now) ?? 0));
            }

            remaining = new RateLimitSnapshot(
                _requests is null ? null : (int)Math.Max(0, _requests.Limit - _requests.Sum(now)),
                _tokens is null ? null : (int)Math.Max(0, _tokens.Limit - _tokens.Sum(now)),
                null,
                null);
            return fits;
        }
    }
}
