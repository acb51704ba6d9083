namespace Dispatcher.Ledger;

/// <summary>The end of a job, written once.</summary>
public sealed record JobCompletion(
    string JobId,
    bool Succeeded,
    string? DeploymentId,
    int Attempts,
    string? Response,
    int? PromptTokens,
    int? CompletionTokens,
    decimal Cost,
    string? ErrorKind,
    string? ErrorMessage,
    int? StatusCode,
    string? RequestId,
    double? LatencyMs);
