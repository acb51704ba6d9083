namespace Integration.Tests.Support;

/// <summary>
/// A simulated gpt-4o deployment whose provider counts every prompt with the model's tokenizer
/// and refuses what crosses its own tokens-per-window limit, which the catalog states exactly.
/// </summary>
public static class TokenCountingDeployment
{
    /// <summary>The deployment "counting" of group gpt-test, <paramref name="tpm"/> tokens per <paramref name="windowSeconds"/>, answers of 8 to 16 tokens.</summary>
    public static object Gpt4o(int tpm, double windowSeconds, double latencyMs, double latencySigma) => new
    {
        Id = "counting",
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        Model = "gpt-4o",
        MaxParallel = 8,
        Rpm = 100_000,
        Tpm = tpm,
        BurstFraction = 0.5,
        Simulation = new
        {
            LatencyMs = latencyMs,
            LatencySigma = latencySigma,
            EnforceTpm = tpm,
            EnforceWindowSeconds = windowSeconds,
            MinCompletionTokens = 8,
            MaxCompletionTokens = 16,
            Seed = 1,
        },
    };
}
