using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Workers.Tests.Providers.Server;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class OpenAiResponsesContractTests : OpenAiEndpointContract
{
    protected override string Url => Endpoints.Responses;

    protected override string CompletionPath => "/v1/responses";

    protected override string CompletionBodyWithoutContent =>
        """{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"m","usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}""";

    protected override string RawBodyWithUnknownFields =>
        """{"model":"provider-model-x","input":[{"role":"user","content":"hi \u00e9"}],"instructions":"Be brief.","reasoning":{"effort":"low"},"x_vendor":[1,2.50]}""";

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) => JsonSerializer.Serialize(new
    {
        id = "resp_1",
        @object = "response",
        created_at = 1_900_000_000,
        status = "completed",
        model = ProviderModel,
        output = new[]
        {
            new { type = "message", id = "msg_1", status = "completed", role = "assistant", content = new[] { new { type = "output_text", text, annotations = Array.Empty<object>() } } },
        },
        usage = new { input_tokens = promptTokens, output_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    });

    private protected override JsonElement RequestBody(string model = GroupModel) =>
        Json($$"""{"model":"{{model}}","input":"Say hello","instructions":"Be brief."}""");

    private protected override void AssertAnswer(JsonElement response, string sentBody)
    {
        response.GetRawText().ShouldBe(sentBody);
        response.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Hello there");
    }

    [Fact]
    public async Task CallAsync_ResponseFiltered_ReturnsContentPolicy()
    {
        Server.Answer(ScriptedAnswer.Json(200, """{"id":"resp_1","object":"response","status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[],"usage":{"input_tokens":5,"output_tokens":0,"total_tokens":5}}"""));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ContentPolicy);
    }
}
