using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Anthropic;
using Dispatcher.Workers.Providers.Http;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Providers.Anthropic;

public sealed class AnthropicCompletionReaderTests
{
    private readonly ProviderResponseClassifier _classifier;

    public AnthropicCompletionReaderTests()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        _classifier = new ProviderResponseClassifier(new AnthropicCompletionReader(time, "claude"), time);
    }

    private static string Message(string usage) =>
        $$"""{"id":"msg_1","type":"message","model":"claude","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{{usage}}}""";

    [Fact]
    public void Read_CacheCreationAndReads_PromptIsTheirSumWithTheReadsCached()
    {
        var outcome = _classifier.Classify(200, ProviderResponseHeaders.From(Array.Empty<KeyValuePair<string, string>>()),
            Message("""{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":300,"output_tokens":5}"""));

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Usage.ShouldBe(new TokenUsage(330, 5, 300));
        var usage = outcome.Response.ShouldNotBeNull().GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(330);
        usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(300);
    }

    [Fact]
    public void Read_NoCacheFields_PromptIsTheInputTokens()
    {
        var outcome = _classifier.Classify(200, ProviderResponseHeaders.From(Array.Empty<KeyValuePair<string, string>>()), Message("""{"input_tokens":10,"output_tokens":5}"""));

        outcome.Usage.ShouldBe(new TokenUsage(10, 5));
    }
}
