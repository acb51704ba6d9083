namespace Dispatcher.Ledger;

/// <summary>
/// A job to record on intake; <paramref name="BodyTraits"/> and <paramref name="BodyMetadata"/>
/// are what routing rules read of its body (<see cref="Routing.BodyTraits"/>).
/// </summary>
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
    string? Url = null,
    int BodyTraits = 0,
    string? BodyMetadata = null);
