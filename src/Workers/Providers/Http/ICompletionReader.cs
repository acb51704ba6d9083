using System.Text.Json;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Reads a provider's 2xx body for one endpoint: whether it is a usable answer, and the usage it
/// reports. Readers of OpenAI-style endpoints return the body as it came (<see cref="EndpointReaders"/>).
/// </summary>
internal interface ICompletionReader
{
    /// <summary>Reads <paramref name="body"/>, which is valid JSON; the result must not refer to it once this returns.</summary>
    CompletionRead Read(JsonElement body);
}
