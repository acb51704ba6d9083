using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Checks that a body is an OpenAI embeddings answer: a <c>data</c> list, and usage with prompt
/// tokens (embeddings produce none, so the completion tokens are 0). The body is returned as it came.
/// </summary>
internal sealed class EmbeddingsReader : ICompletionReader
{
    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed("the body is not a JSON object");
        }

        if (!body.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
        {
            return Malformed("it has no data");
        }

        var anomalies = new List<ProviderAnomaly>();
        if (!JsonFields.TryGetUsage(body, "prompt_tokens", null, anomalies, out var usage))
        {
            return Malformed("it has no usage with prompt_tokens");
        }

        return CompletionRead.Success(body.Clone(), usage, anomalies);
    }

    private static CompletionRead Malformed(string why) =>
        CompletionRead.Failure(ErrorKind.MalformedResponse, $"The provider's answer is not an embeddings response: {why}.");
}
