namespace Dispatcher.Ledger;

/// <summary>One attempt of a job as the ledger stores it.</summary>
public sealed record AttemptRow
{
    public required string JobId { get; init; }
    public long Attempt { get; init; }
    public required string DeploymentId { get; init; }
    public required string ErrorKind { get; init; }
    public long? StatusCode { get; init; }
    public string? Message { get; init; }
    public double LatencyMs { get; init; }
    public double? ProviderMs { get; init; }
    public long? PromptTokens { get; init; }
    public long? CompletionTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those the provider read from its prompt cache.</summary>
    public long? CachedTokens { get; init; }
}
