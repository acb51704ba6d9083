using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Checks that a body is an OpenAI moderation answer: a <c>results</c> list. Moderations report no
/// usage (they are free), so the outcome carries none and the dispatcher settles the attempt at its
/// estimate. The body is returned as it came.
/// </summary>
internal sealed class ModerationReader : ICompletionReader
{
    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("results", out var results)
            || results.ValueKind != JsonValueKind.Array
            || results.GetArrayLength() == 0)
        {
            return CompletionRead.Failure(ErrorKind.MalformedResponse, "The provider's answer is not a moderation: it has no results.");
        }

        return CompletionRead.Success(body.Clone(), usage: null);
    }
}
