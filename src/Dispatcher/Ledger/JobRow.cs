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

    /// <summary>What the job cost, exactly; null until it ended.</summary>
    public decimal? Cost => StoredCost.Read(CostExact, CostReal);

    /// <summary>The cost as the ledger keeps it, exact (<see cref="StoredCost"/>).</summary>
    public string? CostExact { get; init; }

    /// <summary>The cost as a REAL, all a row written before costs were kept exactly has.</summary>
    public double? CostReal { get; init; }

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

    /// <summary>The endpoint the job's body is for; null (chat completions) in rows from before jobs named one.</summary>
    public string? Url { get; init; }

    /// <summary>What the body holds for routing rules, found at intake: <see cref="Routing.BodyTraits"/> flags.</summary>
    public long BodyTraits { get; init; }

    /// <summary>The body's own metadata object, its values as text, as JSON; null for none.</summary>
    public string? BodyMetadata { get; init; }

    /// <summary>The endpoint the job's body is for, one of <see cref="Contracts.Endpoints.All"/>.</summary>
    public string Endpoint => Contracts.Endpoints.Normalize(Url) ?? Contracts.Endpoints.ChatCompletions;
}
