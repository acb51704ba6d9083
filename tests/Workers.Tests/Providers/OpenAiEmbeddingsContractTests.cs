using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class OpenAiEmbeddingsContractTests : OpenAiEndpointContract
{
    protected override string Url => Endpoints.Embeddings;

    protected override string CompletionPath => "/v1/embeddings";

    protected override string CompletionBodyWithoutContent =>
        """{"object":"list","data":[],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}""";

    protected override string RawBodyWithUnknownFields =>
        """{"model":"provider-model-x","input":["a \u00e9",[1,2]],"dimensions":64,"x_vendor":{"nested":[1,2.50,null]}}""";

    // Embeddings produce nothing: whatever completion count the body could hold, usage has prompt tokens only.
    protected override TokenUsage? ExpectedUsage(int promptTokens, int completionTokens) => new(promptTokens, 0);

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) =>
        $$$"""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,{{{text.Length}}}]}],"model":"{{{ProviderModel}}}","usage":{"prompt_tokens":{{{promptTokens}}},"total_tokens":{{{promptTokens}}}}}""";

    private protected override JsonElement RequestBody(string model = GroupModel) =>
        Json($$"""{"model":"{{model}}","input":"Say hello"}""");

    private protected override void AssertAnswer(JsonElement response, string sentBody)
    {
        response.GetRawText().ShouldBe(sentBody);
        response.GetProperty("data")[0].GetProperty("embedding").GetArrayLength().ShouldBe(3);
    }
}
