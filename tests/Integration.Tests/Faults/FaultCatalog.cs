namespace Integration.Tests.Faults;

/// <summary>Catalog pieces the fault tests share: simulated deployments with quota to spare and an audited call log.</summary>
internal static class FaultCatalog
{
    public const string Group = "gpt-test";

    /// <summary>
    /// A simulated deployment whose quotas never hold a job back (the faults, not the quotas, are
    /// under test) and which logs every call it receives to <paramref name="callLog"/>; in model
    /// group <paramref name="group"/>, <see cref="Group"/> unless given.
    /// </summary>
    public static object Simulated(
        string id,
        string callLog,
        double latencyMs = 50,
        int maxParallel = 4,
        double rateLimitRate = 0,
        double retryAfterSeconds = 0,
        int priority = 0,
        string group = Group) => new
        {
            Id = id,
            ModelGroup = group,
            Provider = "Simulated",
            MaxParallel = maxParallel,
            Rpm = 1_000_000,
            Tpm = 1_000_000_000,
            Priority = priority,
            InputPricePerMillion = 1.0,
            OutputPricePerMillion = 2.0,
            Simulation = new
            {
                LatencyMs = latencyMs,
                LatencySigma = 0.2,
                ErrorRate = 0.0,
                RateLimitRate = rateLimitRate,
                RetryAfterSeconds = retryAfterSeconds,
                CallLogPath = callLog,
            },
        };

    /// <summary>The model group's settings.</summary>
    public static object ModelGroup(string strategy, int maxAttempts) => new { Name = Group, Strategy = strategy, MaxAttempts = maxAttempts };
}
