namespace Dispatcher.Catalog;

/// <summary>
/// How a deployment's provider counts its limits, which decides the quota dimensions the
/// dispatcher keeps for it, what an attempt reserves against each, and how its reported usage
/// settles them. Unset on a deployment: <see cref="OpenAI"/> for the OpenAI and simulated
/// providers, <see cref="Anthropic"/> for Anthropic.
/// </summary>
public enum LimitModel
{
    /// <summary>
    /// OpenAI's limits: requests per minute (<c>Rpm</c>, default 600) and tokens per minute
    /// (<c>Tpm</c>, default 1,000,000). An attempt reserves its prompt estimate plus
    /// <c>max_tokens</c> (× <c>n</c>) against the TPM, and settles at the prompt and completion
    /// tokens it used, cached prompt tokens included (OpenAI counts them).
    /// </summary>
    OpenAI,

    /// <summary>
    /// Anthropic's limits: requests per minute (<c>Rpm</c>, default 600), input tokens per minute
    /// (<c>InputTpm</c>) and output tokens per minute (<c>OutputTpm</c>), each its own dimension.
    /// An attempt reserves its prompt estimate against the input limit and <c>max_tokens</c>
    /// against the output limit, as Anthropic estimates output from <c>max_tokens</c> at
    /// admission and adjusts at the end. It settles the input at the uncached input plus the
    /// cache-creation tokens: for most models tokens read from the prompt cache do not count
    /// toward the input limit, unless <c>CachedInputCountsTowardLimit</c> says they do (older
    /// models). A <c>Tpm</c>, when given, is kept as a combined dimension as well.
    /// </summary>
    Anthropic,

    /// <summary>
    /// Azure OpenAI's limits: a deployment is assigned tokens per minute (<c>Tpm</c>, required)
    /// and receives 6 requests per minute per 1,000 tokens per minute (rounded down, at least 1),
    /// unless <c>Rpm</c> is given. Counted as <see cref="OpenAI"/> counts.
    /// </summary>
    Azure,

    /// <summary>
    /// A self-hosted server (vLLM and the like) that is bound by how many calls it serves at once:
    /// at most <c>MaxConcurrent</c> attempts in flight. <c>Rpm</c> and <c>Tpm</c> are optional
    /// and kept only when given; tokens count as <see cref="OpenAI"/> counts them.
    /// </summary>
    Concurrency,
}
