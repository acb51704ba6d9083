using System.Text.Json.Nodes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>
/// Chat jobs that ask for long answers (reports, drafts, explanations) with a sizable
/// <c>max_tokens</c> (512, 768 or 1,024), their prompts short next to it: under the Anthropic
/// limit model the output tokens, reserved as <c>max_tokens</c> and settled to what was produced,
/// are what runs out first.
/// </summary>
internal static class LongAnswerJobs
{
    private static readonly string[] Requests =
    [
        "Write a project status report for the migration of our billing service to the new database, covering progress, risks and next steps.",
        "Draft a customer-facing announcement for a two-hour maintenance window, with a short FAQ.",
        "Explain, for a new engineer, how our retry policy with exponential backoff and jitter protects the downstream services.",
        "Write a detailed review of the attached design for a rate limiter, with concerns ordered by severity.",
        "Summarise the quarter's support tickets by theme and propose three improvements to the onboarding flow.",
    ];

    private static readonly string[] Context =
    [
        "The team has moved 60 % of the tables and the read path runs on the new cluster.",
        "Write traffic is still mirrored, and a nightly job compares both stores.",
        "Two incidents last month came from connection pool exhaustion under peak load.",
        "The finance team needs the invoices of March re-issued before the audit.",
        "Customers on the legacy plan cannot be moved until their contracts renew.",
        "The staging environment lags production by two schema versions.",
    ];

    private static readonly int[] MaxTokens = [512, 768, 1024];

    /// <summary>The body of job <paramref name="i"/> (1-based) for model group <paramref name="model"/>.</summary>
    public static JsonObject Body(int i, string model)
    {
        var context = string.Join(' ', Enumerable.Range(0, 1 + (i % Context.Length)).Select(k => Context[(i + k) % Context.Length]));
        return new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "You are a thorough technical writer. Use headings and complete sentences." },
                new JsonObject { ["role"] = "user", ["content"] = Requests[i % Requests.Length] + "\n\nContext: " + context }),
            ["max_tokens"] = MaxTokens[i % MaxTokens.Length],
            ["temperature"] = 0.7,
        };
    }
}
