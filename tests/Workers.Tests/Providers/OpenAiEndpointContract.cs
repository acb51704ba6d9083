using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.OpenAi;
using Dispatcher.Workers.Tests.Providers.Server;

namespace Dispatcher.Workers.Tests.Providers;

/// <summary>
/// The provider contract for one endpoint of the OpenAI adapter, against a loopback server at the
/// path the SDK posts that endpoint to; each endpoint's suite subclasses this. On top of the
/// contract: the body goes out byte for byte, and the answer comes back unchanged.
/// </summary>
public abstract class OpenAiEndpointContract : ProviderAdapterContract
{
    protected override ProviderKind Kind => ProviderKind.OpenAI;

    protected override string RequestIdHeader => "x-request-id";

    protected override string ContextLengthErrorBody =>
        """{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""";

    /// <summary>A body for the endpoint with a field no SDK knows, as the raw text a file would hold.</summary>
    protected abstract string RawBodyWithUnknownFields { get; }

    protected override IProviderClient CreateProvider(DeploymentOptions deployment, string apiKey, TimeProvider timeProvider) =>
        new OpenAiProvider(deployment, apiKey, timeProvider);

    protected override string ErrorBody(int status, string message) => JsonSerializer.Serialize(new
    {
        error = new
        {
            message,
            type = status switch { 429 => "requests", >= 500 => "server_error", _ => "invalid_request_error" },
            param = (string?)null,
            code = (string?)null,
        },
    });

    [Fact]
    public async Task CallAsync_ProviderAnswers_ResponseIsItsBodyUnchanged()
    {
        // Spacing, field order and fields this code knows nothing of: the Batch API's response.body is the provider's.
        var sent = "{ \"x_provider_extra\" : {\"a\": [1, 2.50]},\n" + CompletionBody("Hello there", 11, 7)[1..];
        Server.Answer(ScriptedAnswer.Json(200, sent));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Response.ShouldNotBeNull().GetRawText().ShouldBe(sent);
    }

    [Fact]
    public async Task CallAsync_BodyWithUnknownFieldsForTheEndpoint_ReachesItsPathByteForByte()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));

        await CallAsync(body: Json(RawBodyWithUnknownFields));

        var received = Server.Received.ShouldHaveSingleItem();
        received.Path.ShouldBe(CompletionPath);
        received.Body.ShouldBe(RawBodyWithUnknownFields);
    }
}
