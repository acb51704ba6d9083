namespace Dispatcher.Ledger;

/// <summary>A job to record on intake.</summary>
public sealed record NewJob(
    string JobId,
    string? BatchId,
    string CustomId,
    string ModelGroup,
    string? Tenant,
    int Priority,
    string? SessionKey,
    DateTimeOffset? Deadline,
    string Body,
    int EstPromptTokens,
    int MaxTokens,
    string? Url = null);
