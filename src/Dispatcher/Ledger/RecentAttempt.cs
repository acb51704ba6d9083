namespace Dispatcher.Ledger;

/// <summary>
/// An attempt sent to a deployment, as its quota windows count it: settled, when its outcome is
/// recorded (<see cref="RecordedAt"/>), else still under way.
/// </summary>
public sealed record RecentAttempt
{
    public string DeploymentId { get; init; } = "";

    /// <summary>The attempt's quota reservation; null when the ledger recorded none.</summary>
    public long? Sequence { get; init; }

    /// <summary>When the attempt was sent; null for an outcome the ledger could not match to its send.</summary>
    public string? DispatchedAt { get; init; }

    /// <summary>When its outcome was recorded; null while it is under way.</summary>
    public string? RecordedAt { get; init; }

    /// <summary>The worker's measure of the call, with its outcome.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>How long the provider said it spent on the call, when it said.</summary>
    public double? ProviderMs { get; init; }

    /// <summary>
    /// The prompt tokens it counts for: with an outcome, what the call used (none when it failed,
    /// the prompt estimate when a success reported nothing); under way, the prompt estimate.
    /// </summary>
    public long InputTokens { get; init; }

    /// <summary>
    /// The completion tokens it counts for: with an outcome, what the call produced (none when it
    /// failed, max_tokens when a success reported nothing); under way, max_tokens.
    /// </summary>
    public long OutputTokens { get; init; }

    /// <summary>Of <see cref="InputTokens"/>, those the provider read from its prompt cache.</summary>
    public long CachedTokens { get; init; }

    /// <summary>The tokens as a quota counts them.</summary>
    public Quotas.QuotaTokens QuotaTokens => new(Saturate(InputTokens), Saturate(OutputTokens), Saturate(CachedTokens));

    private static int Saturate(long count) => (int)Math.Clamp(count, 0, int.MaxValue);
}
