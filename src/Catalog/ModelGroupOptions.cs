using System.ComponentModel.DataAnnotations;
using Dispatcher.Catalog.Rules;

namespace Dispatcher.Catalog;

/// <summary>Per model group: how to choose among its deployments and how hard to try.</summary>
public sealed class ModelGroupOptions
{
    /// <summary>The group's name, as jobs give it in <c>model</c>.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>The routing strategy's name (see the README for the list).</summary>
    public string Strategy { get; set; } = "round-robin";

    /// <summary>Model groups to try, in order, when this group's deployments cannot finish a job.</summary>
    public List<string> Fallbacks { get; set; } = [];

    /// <summary>
    /// Model groups with larger context windows to try, in order, when a deployment says the job
    /// does not fit its context window; empty uses <see cref="Fallbacks"/>.
    /// </summary>
    public List<string> ContextWindowFallbacks { get; set; } = [];

    /// <summary>
    /// Conditional routing: read in order before the strategy, the first whose condition holds
    /// narrows the job's candidates or sends it to another group; none matching leaves the
    /// group's deployments as they are.
    /// </summary>
    public List<RoutingRuleOptions> Rules { get; set; } = [];

    /// <summary>
    /// With several active dispatchers (<c>Dispatcher:Shares</c> above 1), the share whose
    /// dispatcher routes this group's jobs; unset, the groups are spread over the shares
    /// (<see cref="ShareAssignment"/>). Groups a job can move between (fallbacks, context window
    /// fallbacks, rules sending to another group) must be in one share.
    /// </summary>
    public int? Share { get; set; }

    /// <summary>How many attempts a job gets in all before it fails.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>
    /// How many rate-limited attempts (429s) a job may have before it fails. A 429 is the provider
    /// asking us to wait, not a failure of the job: rate-limited attempts do not count towards
    /// <see cref="MaxAttempts"/> or another kind's cap, only towards this bound (and the job's
    /// deadline). A <c>RateLimited</c> entry in <see cref="RetryPolicyOptions.Kinds"/> with a
    /// <c>MaxAttempts</c> lowers it.
    /// </summary>
    [Range(1, 1000)]
    public int MaxRateLimitedAttempts { get; set; } = 50;

    /// <summary>The group's spend cap across its deployments, if any.</summary>
    public BudgetOptions? Budget { get; set; }

    /// <summary>The max_tokens reserved for a job whose body does not set one.</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxTokens { get; set; } = 256;

    /// <summary>
    /// For <c>cost-based</c>: a job that a cheaper deployment can take within the time that
    /// deployment needs to earn back the job's reservation (its RPM/TPM rate) waits for it, and
    /// the deployment is held for that job meanwhile, instead of the job going to a dearer
    /// deployment now. Off: the cheapest deployment that can afford the job at once.
    /// </summary>
    public bool WaitForCheaper { get; set; } = true;

    /// <summary>
    /// For <c>weighted-adaptive</c>: how far back a deployment's outcomes count towards its
    /// weight. Shorter follows a deployment's health faster, on fewer outcomes.
    /// </summary>
    public TimeSpan AdaptiveWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Which errors are retried, how often and after what delay.</summary>
    public RetryPolicyOptions Retry { get; set; } = new();

    /// <summary>The dispatcher's breaker thresholds for each of the group's deployments.</summary>
    public BreakerGateOptions Breaker { get; set; } = new();
}
