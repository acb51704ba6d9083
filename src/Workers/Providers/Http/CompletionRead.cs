using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>What a <see cref="ICompletionReader"/> made of a 2xx body.</summary>
/// <param name="Error"><see cref="ErrorKind.None"/> when the body is a usable completion.</param>
/// <param name="Completion">The answer: the provider's own body for OpenAI-style endpoints, an OpenAI chat completion body for Anthropic.</param>
/// <param name="Usage">The tokens the body reports; null for an endpoint whose answers report none (moderations).</param>
/// <param name="Message">Why the body is not usable.</param>
/// <param name="Anomalies">Impossible numbers the body held, each clamped (see <see cref="JsonFields.TryGetCount"/>); null when none.</param>
internal sealed record CompletionRead(ErrorKind Error, JsonElement? Completion, TokenUsage? Usage, string? Message, IReadOnlyList<ProviderAnomaly>? Anomalies = null)
{
    /// <summary>A usable completion; <paramref name="usage"/> null when the endpoint reports none.</summary>
    public static CompletionRead Success(JsonElement completion, TokenUsage? usage, IReadOnlyList<ProviderAnomaly>? anomalies = null) =>
        new(ErrorKind.None, completion, usage, null, anomalies is { Count: > 0 } ? anomalies : null);

    /// <summary>A body that is not a completion we can use.</summary>
    public static CompletionRead Failure(ErrorKind error, string message) => new(error, null, null, message);
}
