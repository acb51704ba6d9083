using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>The reader of an OpenAI-style endpoint's 2xx answers: what a usable body is, and where its usage is.</summary>
internal static class EndpointReaders
{
    /// <summary>The reader for <paramref name="url"/>, one of <see cref="Endpoints.All"/>.</summary>
    public static ICompletionReader For(string url) => url switch
    {
        Endpoints.Embeddings => new EmbeddingsReader(),
        Endpoints.Completions => new TextCompletionReader(),
        Endpoints.Responses => new ResponsesReader(),
        Endpoints.Moderations => new ModerationReader(),
        _ => new ChatCompletionReader(),
    };
}
