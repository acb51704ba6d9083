namespace Dispatcher.Contracts;

/// <summary>One attempt in a failed job's history.</summary>
public sealed record AttemptRecord(int Attempt, string DeploymentId, ErrorKind Error, int? StatusCode, string? Message, double LatencyMs);
