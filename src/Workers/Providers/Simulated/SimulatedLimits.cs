using Dispatcher.Catalog;
using Dispatcher.Catalog.Limits;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The simulated provider's own rate limits: requests, tokens, input tokens and output tokens
/// counted on arrival over a sliding window, as a strict provider counts them, and the calls it
/// serves at once. It reports what is left on every answer, like <c>x-ratelimit-remaining-*</c>
/// and Anthropic's <c>anthropic-ratelimit-input-tokens-remaining</c> and
/// <c>-output-tokens-remaining</c>, and how long to wait when it refuses.
/// </summary>
internal sealed class SimulatedLimits
{
    private readonly SlidingWindow? _requests;
    private readonly SlidingWindow? _tokens;
    private readonly SlidingWindow? _input;
    private readonly SlidingWindow? _output;
    private readonly int? _concurrency;
    private readonly TimeSpan _busyRetryAfter;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Lock _lock = new();
    private int _serving;

    public SimulatedLimits(SimulationOptions options, TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _requests = Window(options.EnforceRpm, options);
        _tokens = Window(options.EnforceTpm, options);
        _input = Window(options.EnforceInputTpm, options);
        _output = Window(options.EnforceOutputTpm, options);
        _concurrency = options.EnforceConcurrency;
        _busyRetryAfter = TimeSpan.FromSeconds(options.RetryAfterSeconds);
    }

    public bool Enforced => _requests is not null || _tokens is not null || _input is not null || _output is not null || _concurrency is not null;

    /// <summary>
    /// Admits a call of <paramref name="input"/> prompt and <paramref name="output"/> completion
    /// tokens, or says how long until it would be admitted. An admitted call holds one of the
    /// calls served at once until <see cref="Leave"/>.
    /// </summary>
    public bool TryAdmit(int input, int output, out TimeSpan retryAfter, out RateLimitSnapshot remaining)
    {
        lock (_lock)
        {
            var now = _time.GetElapsedTime(_origin).TotalSeconds;
            var tokens = (long)input + output;
            var busy = _concurrency is { } most && _serving >= most;
            var fits = !busy && Fits(_requests, 1, now) && Fits(_tokens, tokens, now) && Fits(_input, input, now) && Fits(_output, output, now);
            retryAfter = TimeSpan.Zero;
            if (fits)
            {
                _requests?.Add(1, now, now);
                _tokens?.Add(tokens, now, now);
                _input?.Add(input, now, now);
                _output?.Add(output, now, now);
                _serving++;
            }
            else
            {
                var seconds = Math.Max(
                    Math.Max(SecondsUntil(_requests, 1, now), SecondsUntil(_tokens, tokens, now)),
                    Math.Max(SecondsUntil(_input, input, now), SecondsUntil(_output, output, now)));
                retryAfter = TimeSpan.FromSeconds(seconds);
                if (busy && retryAfter < _busyRetryAfter)
                {
                    retryAfter = _busyRetryAfter;
                }
            }

            remaining = new RateLimitSnapshot(
                Remaining(_requests, now),
                Remaining(_tokens, now),
                null,
                null,
                Remaining(_input, now),
                Remaining(_output, now));
            return fits;
        }
    }

    /// <summary>Frees the place an admitted call held among those served at once.</summary>
    public void Leave()
    {
        lock (_lock)
        {
            _serving--;
        }
    }

    private static SlidingWindow? Window(int? limit, SimulationOptions options) =>
        limit is { } l ? new SlidingWindow(l, options.EnforceWindowSeconds) : null;

    private static bool Fits(SlidingWindow? window, double amount, double now) => window?.Fits(amount, now) ?? true;

    private static double SecondsUntil(SlidingWindow? window, double amount, double now) => window?.SecondsUntil(amount, now) ?? 0;

    private static int? Remaining(SlidingWindow? window, double now) =>
        window is null ? null : (int)Math.Max(0, window.Limit - window.Sum(now));
}
