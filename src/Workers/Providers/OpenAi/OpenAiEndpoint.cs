using System.ClientModel;
using System.ClientModel.Primitives;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Http;
using OpenAI;

namespace Dispatcher.Workers.Providers.OpenAi;

/// <summary>
/// One endpoint as the OpenAI adapter calls it: the SDK call that posts a raw body there, and the
/// classifier that reads the answer with the endpoint's own reader (where its usage is).
/// </summary>
/// <param name="Url">The endpoint, one of <see cref="Endpoints.All"/>.</param>
/// <param name="Send">Posts the body with the options and returns the raw answer.</param>
/// <param name="Classifier">Classifies the answer.</param>
internal sealed record OpenAiEndpoint(
    string Url,
    Func<BinaryContent, RequestOptions, Task<PipelineResponse>> Send,
    ProviderResponseClassifier Classifier)
{
    /// <summary>Posts <paramref name="content"/>; the caller disposes of the answer.</summary>
    public Task<PipelineResponse> SendAsync(BinaryContent content, RequestOptions options) => Send(content, options);

    /// <summary>The SDK's own default base URL, where a deployment without a BaseUrl goes.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://api.openai.com/v1");

    /// <summary>
    /// Every endpoint, through clients that share <paramref name="client"/>'s pipeline (key, timeouts),
    /// at <paramref name="baseUrl"/>, the base URL the client was given.
    /// </summary>
    public static IEnumerable<OpenAiEndpoint> All(OpenAIClient client, Uri baseUrl, string model, TimeProvider time)
    {
        var chat = client.GetChatClient(model);
        var embeddings = client.GetEmbeddingClient(model);
        var moderations = client.GetModerationClient(model);
#pragma warning disable OPENAI001 // The Responses client is marked for evaluation; its protocol method is the plain POST /responses.
        var responses = client.GetResponsesClient();
#pragma warning restore OPENAI001
        yield return Of(Endpoints.ChatCompletions, async (c, o) => (await chat.CompleteChatAsync(c, o).ConfigureAwait(false)).GetRawResponse(), time);
        yield return Of(Endpoints.Embeddings, async (c, o) => (await embeddings.GenerateEmbeddingsAsync(c, o).ConfigureAwait(false)).GetRawResponse(), time);
        yield return Of(Endpoints.Moderations, async (c, o) => (await moderations.ClassifyTextAsync(c, o).ConfigureAwait(false)).GetRawResponse(), time);
        yield return Of(Endpoints.Responses, async (c, o) => (await responses.CreateResponseAsync(c, o).ConfigureAwait(false)).GetRawResponse(), time);
        yield return Of(Endpoints.Completions, (c, o) => PostAsync(client, baseUrl, "completions", c, o), time);
    }

    private static OpenAiEndpoint Of(string url, Func<BinaryContent, RequestOptions, Task<PipelineResponse>> send, TimeProvider time) =>
        new(url, send, new ProviderResponseClassifier(EndpointReaders.For(url), time));

    // The SDK keeps its legacy completions client internal; the client's own pipeline (its key,
    // timeouts and no retries) posts to the path beside the others, as that client would.
    private static async Task<PipelineResponse> PostAsync(OpenAIClient client, Uri baseUrl, string path, BinaryContent content, RequestOptions options)
    {
        using var message = client.Pipeline.CreateMessage();
        var request = message.Request;
        request.Method = "POST";
        var endpoint = baseUrl.AbsoluteUri;
        request.Uri = new Uri(endpoint + (endpoint.EndsWith('/') ? "" : "/") + path);
        request.Headers.Set("Accept", "application/json");
        request.Headers.Set("Content-Type", "application/json");
        request.Content = content;
        message.Apply(options);
        await client.Pipeline.SendAsync(message).ConfigureAwait(false);
        // The message owns the answer until it is taken: the caller disposes of it after reading.
        return message.ExtractResponse() ?? throw new InvalidOperationException("The client pipeline returned no response.");
    }
}
