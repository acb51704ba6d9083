using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>How a model group treats one kind of error (keyed by its name, e.g. <c>RateLimited</c>).</summary>
public sealed class RetryKindOptions
{
    /// <summary>Whether a job that failed this way is tried again; unset keeps the kind's default.</summary>
    public bool? Retry { get; set; }

    /// <summary>
    /// The most attempts a job whose last attempt failed this way gets; unset keeps the group's.
    /// For <c>RateLimited</c>: the most rate-limited attempts, within the group's
    /// <see cref="ModelGroupOptions.MaxRateLimitedAttempts"/>.
    /// </summary>
    [Range(1, 100)]
    public int? MaxAttempts { get; set; }

    /// <summary>The first retry delay for this kind, in seconds; unset keeps the group's.</summary>
    [Range(0.0, 3600)]
    public double? BaseDelaySeconds { get; set; }
}
