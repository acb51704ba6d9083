using System.Text.Json;
using Dispatcher.Workers.Providers.Anthropic;

namespace Dispatcher.Workers.Tests.Providers.Anthropic;

public sealed class AnthropicRequestTranslatorTests
{
    [Fact]
    public void TryTranslate_DataUrlImage_BecomesBase64ImageBlock()
    {
        var body = Translate("""{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}""");

        var image = body["messages"][0].GetProperty("content")[1];
        image.GetProperty("type").GetString().ShouldBe("image");
        image.GetProperty("source").GetProperty("type").GetString().ShouldBe("base64");
        image.GetProperty("source").GetProperty("media_type").GetString().ShouldBe("image/png");
        image.GetProperty("source").GetProperty("data").GetString().ShouldBe("iVBORw0KGgo=");
    }

    [Fact]
    public void TryTranslate_HttpImage_BecomesUrlImageBlock()
    {
        var body = Translate("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.test/cat.png"}}]}]}""");

        var source = body["messages"][0].GetProperty("content")[0].GetProperty("source");
        source.GetProperty("type").GetString().ShouldBe("url");
        source.GetProperty("url").GetString().ShouldBe("https://example.test/cat.png");
    }

    [Fact]
    public void TryTranslate_NoSystemMessage_SendsNoSystem()
    {
        var body = Translate("""{"messages":[{"role":"user","content":"hi"}]}""");

        body.ContainsKey("system").ShouldBeFalse();
        body["max_tokens"].GetInt32().ShouldBe(128);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":true}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""")]
    [InlineData("""{"messages":[{"role":"system","content":"only a system prompt"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}""")]
    [InlineData("""{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}]}""")]
    [InlineData("""{"messages":"hi"}""")]
    [InlineData("""["not an object"]""")]
    public void TryTranslate_UntranslatableBody_ReturnsFalseWithReason(string json)
    {
        var ok = AnthropicRequestTranslator.TryTranslate(Json(json), "claude-x", 128, out var translated, out var error);

        ok.ShouldBeFalse();
        translated.ShouldBeNull();
        error.ShouldNotBeNullOrWhiteSpace();
    }

    private static IReadOnlyDictionary<string, JsonElement> Translate(string json)
    {
        AnthropicRequestTranslator.TryTranslate(Json(json), "claude-x", 128, out var translated, out var error).ShouldBeTrue(error);
        translated.ShouldNotBeNull()["model"].GetString().ShouldBe("claude-x");
        return translated;
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
