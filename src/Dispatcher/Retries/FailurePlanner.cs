using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Microsoft.Extensions.Options;

namespace Dispatcher.Retries;

/// <summary>
/// Decides what follows a failed attempt, from the model group's retry policy and the job's
/// history. A kind the policy does not retry, or a job out of attempts, ends. A job with a
/// deployment left that it has not failed on — in its group, then along the fallback chain —
/// is re-routed there at once. A job that has failed on every deployment it can reach waits
/// out a backoff delay (never shorter than the provider's Retry-After) and is tried again.
/// A context-length failure is re-routed only to deployments with a larger context window.
/// </summary>
/// <remarks>
/// A rate-limited attempt (a 429) is the provider asking us to wait, not a failure of the job:
/// it does not use up the job's <see cref="ModelGroupOptions.MaxAttempts"/> nor another kind's
/// cap, which count only the attempts that were not rate-limited. Rate-limited attempts have
/// their own, generous bound, <see cref="ModelGroupOptions.MaxRateLimitedAttempts"/> (lowered by
/// a <c>RateLimited</c> kind cap), and the job's deadline, which ends a job whose wait outlasts it.
/// </remarks>
public sealed class FailurePlanner(IOptions<CatalogOptions> catalog, Func<double> unit)
{
    /// <summary>A planner whose jitter comes from a shared random source.</summary>
    public FailurePlanner(IOptions<CatalogOptions> catalog) : this(catalog, Random.Shared.NextDouble)
    {
    }

    /// <summary>
    /// Plans the step after <paramref name="outcome"/>, given every attempt the job has had
    /// (<paramref name="history"/>, this one included). <paramref name="routed"/> is the chain of
    /// groups the job's rules send it along (default: its group and fallbacks): only their
    /// deployments can take it again.
    /// </summary>
    public NextStep Plan(JobRow job, CompletionAttempted outcome, IReadOnlyList<AttemptRow> history, IReadOnlyList<string>? routed = null)
    {
        var options = catalog.Value;
        var group = options.Group(job.ModelGroup);
        var policy = group.Retry;
        var error = outcome.Error;
        var message = outcome.ErrorMessage ?? error.ToString();
        var made = outcome.Attempt - (int)job.AttemptBase;
        var rateLimited = RateLimitedAttempts(job, outcome, history);

        // Attempts whose outcome never arrived count as attempts: only a recorded 429 is exempt.
        var counted = made - rateLimited;

        if (error == ErrorKind.ContextLengthExceeded && policy.For(error)?.Retry is not false)
        {
            return counted >= policy.MaxAttempts(error, group.MaxAttempts)
                ? NextStep.Fail($"gave up after {counted} attempt(s): {message}")
                : LargerWindow(job, group, outcome.DeploymentId, message);
        }

        if (!policy.Retries(error))
        {
            return NextStep.Fail(message);
        }

        if (error == ErrorKind.RateLimited)
        {
            if (rateLimited >= policy.MaxAttempts(error, group.MaxRateLimitedAttempts))
            {
                return NextStep.Fail($"gave up after {rateLimited} rate-limited attempt(s): {message}");
            }
        }
        else if (counted >= policy.MaxAttempts(error, group.MaxAttempts))
        {
            return NextStep.Fail($"gave up after {counted} attempt(s){(rateLimited > 0 ? $" and {rateLimited} rate-limited" : "")}: {message}");
        }

        var failedOn = history.Where(a => a.ErrorKind != nameof(ErrorKind.None) && a.Attempt > job.AttemptBase)
            .Select(a => a.DeploymentId)
            .Append(outcome.DeploymentId)
            .ToHashSet(StringComparer.Ordinal);
        string[] chain = [job.ModelGroup, .. group.Fallbacks];
        var reachable = (routed ?? chain).SelectMany(DeploymentsOf).ToArray();
        if (reachable.Any(d => !failedOn.Contains(d.Id)))
        {
            return new NextStep(NextStepKind.Fallback, $"{error} on {outcome.DeploymentId}; re-routing to a deployment not yet tried", TimeSpan.Zero, [.. failedOn], chain);
        }

        // Backoff counts the rounds in which every reachable deployment had failed the job, not
        // the attempts spent going round them once.
        var rounds = Math.Max(1, made - reachable.Length + 1);
        var delay = policy.Delay(error, rounds, outcome.RetryAfter, unit());
        return new NextStep(NextStepKind.Retry, $"{error} on {outcome.DeploymentId}; every deployment tried, retrying in {delay.TotalSeconds:0.###} s", delay, [], chain);
    }

    // The attempts since the job was last replayed that were answered with a 429, this one included.
    private static int RateLimitedAttempts(JobRow job, CompletionAttempted outcome, IReadOnlyList<AttemptRow> history)
    {
        var attempts = history
            .Where(a => a.Attempt > job.AttemptBase && a.Attempt <= outcome.Attempt && a.ErrorKind == nameof(ErrorKind.RateLimited))
            .Select(a => a.Attempt)
            .ToHashSet();
        if (outcome.Error == ErrorKind.RateLimited)
        {
            attempts.Add(outcome.Attempt);
        }

        return attempts.Count;
    }

    // Only deployments whose window is larger than the one that refused the job can help.
    private NextStep LargerWindow(JobRow job, ModelGroupOptions group, string failedDeployment, string message)
    {
        var options = catalog.Value;
        var refused = options.Deployments.FirstOrDefault(d => d.Id == failedDeployment)?.ContextWindow ?? 0;
        string[] chain = [job.ModelGroup, .. group.ContextWindowFallbacks.Count > 0 ? group.ContextWindowFallbacks : group.Fallbacks];
        var reachable = chain.SelectMany(DeploymentsOf).ToArray();
        var tooSmall = reachable.Where(d => d.ContextWindow <= refused || d.Id == failedDeployment).Select(d => d.Id).ToArray();
        return tooSmall.Length == reachable.Length
            ? NextStep.Fail($"{message} (no deployment with a context window larger than {refused} tokens is configured for '{job.ModelGroup}' or its fallbacks)")
            : new NextStep(NextStepKind.Fallback, $"context window of {failedDeployment} ({refused} tokens) too small; re-routing to a larger one", TimeSpan.Zero, tooSmall, chain);
    }

    private IEnumerable<DeploymentOptions> DeploymentsOf(string group) =>
        catalog.Value.Deployments.Where(d => string.Equals(d.ModelGroup, group, StringComparison.Ordinal));
}
