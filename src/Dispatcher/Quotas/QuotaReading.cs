namespace Dispatcher.Quotas;

/// <summary>A deployment's quota at an instant, as metrics and status read it.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="RequestHeadroom">Share of the request limit available now (0..1), the tighter of bucket and window.</param>
/// <param name="TokenHeadroom">Share of the token limit available now (0..1), the tighter of bucket and window.</param>
/// <param name="InFlight">Attempts reserved and not yet settled.</param>
public sealed record QuotaReading(string DeploymentId, double RequestHeadroom, double TokenHeadroom, int InFlight);
