using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>Turns a non-2xx status and the provider's error body into an <see cref="ErrorKind"/>.</summary>
internal static class HttpErrorClassifier
{
    // Providers do not share a code for "the prompt does not fit"; these are the words they use.
    private static readonly string[] ContextLengthPhrases =
    [
        "context_length_exceeded",
        "maximum context length",
        "context length exceeded",
        "prompt is too long",
        "exceed context limit",
        "exceeds the context window",
    ];

    private static readonly string[] ContentPolicyCodes = ["content_filter", "content_policy_violation"];

    /// <summary>Classifies an answer whose status is not 2xx.</summary>
    public static ErrorKind Classify(int status, ProviderErrorBody error) => status switch
    {
        429 => ErrorKind.RateLimited,
        408 => ErrorKind.Timeout,
        401 or 403 => ErrorKind.Authentication,
        // 409 is a lock timeout on the provider's side (both SDKs retry it): transient, not the request's fault.
        409 => ErrorKind.ServerError,
        // 529 is Anthropic's "overloaded".
        >= 500 and <= 599 => ErrorKind.ServerError,
        >= 400 and <= 499 when IsContextLength(error) => ErrorKind.ContextLengthExceeded,
        >= 400 and <= 499 when IsContentPolicy(error) => ErrorKind.ContentPolicy,
        >= 400 and <= 499 => ErrorKind.InvalidRequest,
        // 1xx/3xx, or a status outside HTTP's range: an answer we cannot use.
        _ => ErrorKind.MalformedResponse,
    };

    private static bool IsContextLength(ProviderErrorBody error) =>
        string.Equals(error.Code, "context_length_exceeded", StringComparison.OrdinalIgnoreCase)
        || string.Equals(error.Type, "context_length_exceeded", StringComparison.OrdinalIgnoreCase)
        || (error.Message is { } message && ContextLengthPhrases.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase)));

    private static bool IsContentPolicy(ProviderErrorBody error) =>
        ContentPolicyCodes.Any(c =>
            string.Equals(error.Code, c, StringComparison.OrdinalIgnoreCase)
            || string.Equals(error.Type, c, StringComparison.OrdinalIgnoreCase));
}
