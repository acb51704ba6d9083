using System.ComponentModel.DataAnnotations;
using Dispatcher.Contracts;

namespace Dispatcher.Catalog;

/// <summary>
/// A model group's retry policy: which error kinds are tried again, how many attempts each
/// gets, and how long a job waits before it is tried again on a deployment it already failed on.
/// The delay doubles with each attempt, is spread by jitter, is capped, and is never shorter
/// than the provider's Retry-After.
/// </summary>
public sealed class RetryPolicyOptions
{
    /// <summary>
    /// The longest Retry-After the dispatcher follows, in a retry's delay and in a deployment's
    /// pause, a day: as long as the workers read any wait to be.
    /// An outcome need not come from our workers, and a wait of centuries would strand the job.
    /// </summary>
    public const double MaxRetryAfterSeconds = 24 * 60 * 60;

    /// <summary>The delay before the first retry, in seconds; doubled for each later one.</summary>
    [Range(0.0, 3600)]
    public double BaseDelaySeconds { get; set; } = 1;

    /// <summary>The longest delay backoff reaches, in seconds (a longer Retry-After still wins).</summary>
    [Range(0.0, 3600)]
    public double MaxDelaySeconds { get; set; } = 60;

    /// <summary>How far (a share, 0 to 1) each delay is spread either way, so retries do not arrive together.</summary>
    [Range(0.0, 1.0)]
    public double Jitter { get; set; } = 0.2;

    /// <summary>Per error kind, by name: whether it is retried, its attempt cap and its first delay.</summary>
    public Dictionary<string, RetryKindOptions> Kinds { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether another attempt may succeed where one that failed this way did not. By default the
    /// kinds that say something about the deployment or the moment are retried; those that say
    /// something about the request itself are not. A worker's own fault is retried: it may be
    /// one answer's, and another attempt goes to a deployment not yet tried when there is one.
    /// </summary>
    public static bool RetriedByDefault(ErrorKind error) => error is
        ErrorKind.RateLimited or ErrorKind.Timeout or ErrorKind.ServerError or ErrorKind.ConnectionFailed
        or ErrorKind.MalformedResponse or ErrorKind.CircuitOpen or ErrorKind.Authentication or ErrorKind.WorkerFault;

    /// <summary>The settings for one kind, if the policy names it.</summary>
    public RetryKindOptions? For(ErrorKind error)
    {
        foreach (var (name, options) in Kinds)
        {
            if (string.Equals(name, error.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return options;
            }
        }

        return null;
    }

    /// <summary>Whether a job that failed this way is tried again.</summary>
    public bool Retries(ErrorKind error) => For(error)?.Retry ?? RetriedByDefault(error);

    /// <summary>
    /// How many attempts a job whose last attempt failed this way may have: the kind's cap within
    /// <paramref name="groupMaxAttempts"/>, the group's bound (its <c>MaxAttempts</c>, which counts
    /// attempts that were not rate-limited, or for <see cref="ErrorKind.RateLimited"/> its
    /// <c>MaxRateLimitedAttempts</c>).
    /// </summary>
    public int MaxAttempts(ErrorKind error, int groupMaxAttempts) =>
        For(error)?.MaxAttempts is { } cap ? Math.Min(cap, groupMaxAttempts) : groupMaxAttempts;

    /// <summary>
    /// The wait before attempt <paramref name="failedAttempts"/> + 1 goes to a deployment already
    /// tried: base × 2^(failures − 1), capped, spread by ±jitter (<paramref name="unit"/> is a
    /// uniform draw in [0, 1)), and never shorter than <paramref name="retryAfter"/> (up to
    /// <see cref="MaxRetryAfterSeconds"/>).
    /// </summary>
    public TimeSpan Delay(ErrorKind error, int failedAttempts, TimeSpan? retryAfter, double unit)
    {
        var first = For(error)?.BaseDelaySeconds ?? BaseDelaySeconds;
        var backoff = Math.Min(first * Math.Pow(2, Math.Max(0, failedAttempts - 1)), MaxDelaySeconds);
        var spread = backoff * (1 + (Jitter * ((2 * unit) - 1)));
        var seconds = Math.Max(0, spread);
        if (retryAfter is { } wait && wait.TotalSeconds > seconds)
        {
            seconds = Math.Min(wait.TotalSeconds, MaxRetryAfterSeconds);
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
