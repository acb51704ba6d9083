using System.Text.Json;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>Reads a provider's 2xx body into an OpenAI chat completion with usage.</summary>
internal interface ICompletionReader
{
    /// <summary>Reads <paramref name="body"/>, which is valid JSON; the result must not refer to it once this returns.</summary>
    CompletionRead Read(JsonElement body);
}
