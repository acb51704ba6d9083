using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class OpenAiCompletionsContractTests : OpenAiEndpointContract
{
    protected override string Url => Endpoints.Completions;

    protected override string CompletionPath => "/v1/completions";

    protected override string CompletionBodyWithoutContent =>
        """{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    protected override string RawBodyWithUnknownFields =>
        """{"model":"provider-model-x","prompt":"Once upon \u00e9","max_tokens":16,"suffix":"end","x_vendor":[1,2.50]}""";

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) => JsonSerializer.Serialize(new
    {
        id = "cmpl-1",
        @object = "text_completion",
        created = 1_900_000_000,
        model = ProviderModel,
        choices = new[] { new { text, index = 0, logprobs = (object?)null, finish_reason = "stop" } },
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    });

    private protected override JsonElement RequestBody(string model = GroupModel) =>
        Json($$"""{"model":"{{model}}","prompt":"Say hello"}""");

    private protected override void AssertAnswer(JsonElement response, string sentBody)
    {
        response.GetRawText().ShouldBe(sentBody);
        response.GetProperty("choices")[0].GetProperty("text").GetString().ShouldBe("Hello there");
    }
}
