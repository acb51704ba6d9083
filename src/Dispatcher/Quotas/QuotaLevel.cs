namespace Dispatcher.Quotas;

/// <summary>
/// A deployment's bucket levels at an instant, as persisted in the ledger, with the provider's
/// pause of it (saved with the levels, so processes that read only the ledger see it).
/// </summary>
public sealed record QuotaLevel(string DeploymentId, double Requests, double Tokens, string SavedAt)
{
    /// <summary>The input token bucket's level (Anthropic limit model); null for a deployment without one.</summary>
    public double? InputTokens { get; init; }

    /// <summary>The output token bucket's level (Anthropic limit model); null for a deployment without one.</summary>
    public double? OutputTokens { get; init; }

    /// <summary>When the provider's pause ends (round-trip text, UTC); null when the deployment is not paused.</summary>
    public string? PausedUntil { get; init; }

    /// <summary>Why the deployment is paused (e.g. <c>429 Retry-After 30 s</c>); null when it is not.</summary>
    public string? PauseReason { get; init; }

    /// <summary>Jobs held for a retry after the deployment's Retry-After when the levels were saved.</summary>
    public int PauseWaiting { get; init; }
}
