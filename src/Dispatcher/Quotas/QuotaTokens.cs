using Dispatcher.Contracts;

namespace Dispatcher.Quotas;

/// <summary>
/// Tokens an attempt takes from a deployment's quota, split the way providers count them: a
/// reservation's prompt estimate and <c>max_tokens</c>, or a settled call's prompt and completion
/// tokens with the prompt tokens read from the cache among them. Which of these each dimension
/// counts is the deployment's limit model's to say (<see cref="DeploymentQuota"/>).
/// </summary>
/// <param name="Input">Prompt tokens, cached ones included.</param>
/// <param name="Output">Completion tokens.</param>
/// <param name="CachedInput">Prompt tokens read from the provider's cache (part of <paramref name="Input"/>).</param>
public readonly record struct QuotaTokens(int Input, int Output, int CachedInput = 0)
{
    /// <summary>
    /// A count not split into input and output, taken as input: for a deployment whose limits do
    /// not tell them apart (the OpenAI model's TPM counts their sum).
    /// </summary>
    public static implicit operator QuotaTokens(int tokens) => new(tokens, 0);

    /// <summary>What a provider reported, as a quota counts it.</summary>
    public static QuotaTokens Used(TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new QuotaTokens(usage.PromptTokens, usage.CompletionTokens, Math.Max(0, Math.Min(usage.CachedPromptTokens, usage.PromptTokens)));
    }

    /// <summary>The prompt tokens a limit counts: all of them, or without those read from the cache.</summary>
    public int CountedInput(bool cachedInputCounts) => cachedInputCounts ? Input : Math.Max(0, Input - CachedInput);

    /// <summary>Counted input plus output, within <see cref="int"/>'s range.</summary>
    public int CountedTotal(bool cachedInputCounts) => (int)Math.Min((long)CountedInput(cachedInputCounts) + Output, int.MaxValue);
}
