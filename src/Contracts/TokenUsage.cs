namespace Dispatcher.Contracts;

/// <summary>Tokens a provider reported for one call.</summary>
public sealed record TokenUsage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}
