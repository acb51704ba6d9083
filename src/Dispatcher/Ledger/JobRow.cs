namespace Dispatcher.Ledger;

/// <summary>A job as the ledger stores it.</summary>
public sealed record JobRow
{
    public required string JobId { get; init; }
    public string? BatchId { get; init; }
    public required string CustomId { get; init; }
    public required string ModelGroup { get; init; }
    public string? Tenant { get; init; }
    public long Priority { get; init; }
    public string? SessionKey { get; init; }
    public string? Deadline { get; init; }
    public required string Body { get; init; }
    public required string State { get; init; }
    public long Attempts { get; init; }
    public string? DeploymentId { get; init; }
    public long EstPromptTokens { get; init; }
    public long MaxTokens { get; init; }
    public long? PromptTokens { get; init; }
    public long? CompletionTokens { get; init; }
    public double? Cost { get; init; }
    public string? ErrorKind { get; init; }
    public string? ErrorMessage { get; init; }
    public long? StatusCode { get; init; }
    public string? Response { get; init; }
    public string? RequestId { get; init; }
    public double? LatencyMs { get; init; }
    public long ResultPublished { get; init; }
    public string? CompletedAt { get; init; }
    public long? QuotaSeq { get; init; }
    public string? RouteReason { get; init; }

    /// <summary>Attempts made before the job was last replayed; its attempt allowance counts from here.</summary>
    public long AttemptBase { get; init; }

    /// <summary>How many times the job was replayed after failing.</summary>
    public long Replays { get; init; }
}
