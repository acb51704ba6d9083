using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;

namespace Dispatcher.Reservations;

/// <summary>
/// The most tokens one attempt can really have used, to bound the usage a provider reports
/// before it is billed or charged to a quota: a provider that reports 2^31 − 1 tokens for a
/// short question has not read or written them, and must not spend a budget or empty a bucket.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Prompt tokens: at most the larger of the deployment's context window and
/// 4 × the prompt estimate + 1024. No provider reads more than its window holds; the second
/// term keeps a catalog that understates the window from cutting real usage, as the estimate
/// (a real tokenizer's count, or about four characters a token) is never off by a factor of four.</item>
/// <item>Completion tokens: at most <c>max_tokens</c> (or <c>max_completion_tokens</c>) × <c>n</c>
/// when the body sets a limit; when it sets none the provider's own limit applies, so the larger
/// of the reserved completion tokens (already <c>n</c> × the group's default) and <c>n</c> × the
/// context window. <c>n</c> is the body's,
/// 1 when absent, at most <see cref="MaxChoices"/>.</item>
/// <item>A negative count is 0.</item>
/// </list>
/// </remarks>
public sealed class UsageCeiling
{
    /// <summary>The most choices (<c>n</c>) a body is taken to ask for: OpenAI's own limit.</summary>
    public const int MaxChoices = TokenEstimator.MaxChoices;

    // Four characters a token: a prompt cannot hold four times as many tokens as the estimate
    // says, plus room for the chat format and short prompts.
    private const long EstimateFactor = 4;
    private const long EstimateSlack = 1024;

    private readonly long _maxTokens;
    private readonly int _contextWindow;
    private readonly string? _body;
    private readonly string _url;
    private int? _completionTokens;

    private UsageCeiling(int promptTokens, long maxTokens, int contextWindow, string? body, string url)
    {
        _url = url;
        PromptTokens = promptTokens;
        _maxTokens = Math.Max(0, maxTokens);
        _contextWindow = contextWindow;
        _body = body;
    }

    /// <summary>The most prompt tokens the attempt can have used.</summary>
    public int PromptTokens { get; }

    /// <summary>
    /// The most completion tokens the attempt can have used. Reading <c>n</c> and the limit takes
    /// the body, so this is worked out when first asked; <see cref="Bound"/> asks only for a
    /// report above the reserved <c>max_tokens</c>, which is within it whatever the body says.
    /// </summary>
    public int CompletionTokens => _completionTokens ??= Completion();

    /// <summary>The ceiling of <paramref name="job"/>'s attempts on <paramref name="deployment"/>.</summary>
    public static UsageCeiling For(JobRow job, DeploymentOptions deployment)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(deployment);
        var fromEstimate = (Math.Max(0, job.EstPromptTokens) * EstimateFactor) + EstimateSlack;
        return new UsageCeiling(Saturate(Math.Max(deployment.ContextWindow, fromEstimate)), job.MaxTokens, deployment.ContextWindow, job.Body, job.Endpoint);
    }

    /// <summary><paramref name="usage"/> with each count brought within the ceiling (negative counts to 0); the same instance when it was within.</summary>
    public TokenUsage Bound(TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var prompt = Math.Clamp(usage.PromptTokens, 0, PromptTokens);
        var completion = usage.CompletionTokens <= _maxTokens
            ? Math.Max(0, usage.CompletionTokens)
            : Math.Min(usage.CompletionTokens, CompletionTokens);
        var cached = Math.Clamp(usage.CachedPromptTokens, 0, prompt);
        return prompt == usage.PromptTokens && completion == usage.CompletionTokens && cached == usage.CachedPromptTokens
            ? usage
            : new TokenUsage(prompt, completion, cached);
    }

    private int Completion()
    {
        // Embeddings and moderations produce no tokens: whatever completion a provider reports for one is not to be billed.
        if (_url is Contracts.Endpoints.Embeddings or Contracts.Endpoints.Moderations)
        {
            return 0;
        }

        // The reserved max_tokens already covers every choice (n × the limit).
        var (limit, choices) = Request(_body, _url);
        return Saturate(limit > 0 ? (long)limit * choices : Math.Max(_maxTokens, (long)_contextWindow * choices));
    }

    // Whether the body sets a completion limit, and how many choices it asks for. The body was
    // read at intake; one that no longer parses is taken to set no limit and ask for one choice.
    private static (int Limit, int Choices) Request(string? body, string url)
    {
        if (string.IsNullOrEmpty(body))
        {
            return (0, 1);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return (TokenEstimator.MaxTokens(root, defaultMaxTokens: 0, url), TokenEstimator.Choices(root, url));
        }
        catch (JsonException)
        {
            return (0, 1);
        }
    }

    private static int Saturate(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}
