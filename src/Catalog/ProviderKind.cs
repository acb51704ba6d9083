namespace Dispatcher.Catalog;

/// <summary>Which adapter a worker uses to call a deployment.</summary>
public enum ProviderKind
{
    /// <summary>The built-in simulated provider: latency, errors, 429s and usage as configured.</summary>
    Simulated,
    /// <summary>OpenAI, Azure OpenAI's v1 endpoint, or any OpenAI-compatible server (vLLM, llama.cpp…), through the OpenAI SDK.</summary>
    OpenAI,
    /// <summary>Anthropic's Messages API, through the Anthropic SDK.</summary>
    Anthropic,
}
