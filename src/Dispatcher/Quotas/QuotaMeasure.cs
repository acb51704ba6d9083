namespace Dispatcher.Quotas;

/// <summary>What one dimension of a deployment's quota counts.</summary>
public enum QuotaMeasure
{
    /// <summary>Requests: one per attempt.</summary>
    Requests,
    /// <summary>Input plus output tokens.</summary>
    Tokens,
    /// <summary>Input (prompt) tokens alone.</summary>
    InputTokens,
    /// <summary>Output (completion) tokens alone.</summary>
    OutputTokens,
}
