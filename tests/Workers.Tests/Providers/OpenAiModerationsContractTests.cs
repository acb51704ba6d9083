using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class OpenAiModerationsContractTests : OpenAiEndpointContract
{
    protected override string Url => Endpoints.Moderations;

    protected override string CompletionPath => "/v1/moderations";

    protected override string CompletionBodyWithoutContent => """{"id":"modr-1","model":"m","results":[]}""";

    protected override string RawBodyWithUnknownFields =>
        """{"model":"provider-model-x","input":["hi \u00e9",{"type":"text","text":"there"}],"x_vendor":[1,2.50]}""";

    // OpenAI reports no usage for moderations (they are free); the dispatcher settles them at the estimate.
    protected override TokenUsage? ExpectedUsage(int promptTokens, int completionTokens) => null;

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) =>
        $$$"""{"id":"modr-1","model":"{{{ProviderModel}}}","results":[{"flagged":false,"categories":{"hate":false},"category_scores":{"hate":0.0{{{text.Length}}}}}]}""";

    private protected override JsonElement RequestBody(string model = GroupModel) =>
        Json($$"""{"model":"{{model}}","input":"Say hello"}""");

    private protected override void AssertAnswer(JsonElement response, string sentBody)
    {
        response.GetRawText().ShouldBe(sentBody);
        response.GetProperty("results")[0].GetProperty("flagged").GetBoolean().ShouldBeFalse();
    }
}
