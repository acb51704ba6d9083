namespace Dispatcher.Contracts;

/// <summary>A job ended without a completion. Published once per (batch, custom id).</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="BatchId">The job's batch, if any.</param>
/// <param name="CustomId">The caller's id for the job.</param>
/// <param name="ModelGroup">The model group the job asked for.</param>
/// <param name="Error">The kind of the last error.</param>
/// <param name="Message">A readable reason.</param>
/// <param name="StatusCode">The HTTP status of the last attempt, when there was one.</param>
/// <param name="History">Every attempt, in order.</param>
/// <param name="CompletedAt">When the dispatcher recorded the failure.</param>
public sealed record CompletionFailed(
    Guid JobId,
    string? BatchId,
    string CustomId,
    string ModelGroup,
    ErrorKind Error,
    string Message,
    int? StatusCode,
    IReadOnlyList<AttemptRecord> History,
    DateTimeOffset CompletedAt);
