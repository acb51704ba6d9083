using System.Text.Json;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;
using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests.Tokens;

public sealed class PromptCounterTests
{
    private static readonly PromptCounter O200k = PromptCounters.Shared.Named(TokenizerNames.O200kBase);
    private static readonly PromptCounter Cl100k = PromptCounters.Shared.Named(TokenizerNames.Cl100kBase);

    private static JsonElement Body(string json) => JsonDocument.Parse(json).RootElement;

    private static string Chat(string content) => JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content } } });

    [Theory]
    [InlineData(TokenizerNames.O200kBase, "Hello, world", 3)]
    [InlineData(TokenizerNames.O200kBase, "tiktoken is great!", 6)]
    [InlineData(TokenizerNames.Cl100kBase, "tiktoken is great!", 6)]
    // The cookbook's "happy birthday" in Japanese: 8 tokens in o200k_base, 9 in cl100k_base; the
    // heuristic a token a character, 9 (at four characters a token it said 3).
    [InlineData(TokenizerNames.O200kBase, "お誕生日おめでとう", 8)]
    [InlineData(TokenizerNames.Cl100kBase, "お誕生日おめでとう", 9)]
    [InlineData(TokenizerNames.Heuristic, "お誕生日おめでとう", 9)]
    [InlineData(TokenizerNames.Heuristic, "Hello, world", 3)]
    [InlineData(TokenizerNames.Heuristic, "Привет, мир", 5)]
    public void Text_KnownStrings_CountAsTiktokenDoes(string tokenizer, string text, int expected) =>
        PromptCounters.Shared.Named(tokenizer).Text.Count(text).ShouldBe(expected);

    [Fact]
    public void Count_LoneSurrogateEscapes_CountsTheirEscapedText()
    {
        // Valid JSON that is not valid Unicode: a client that cut a string mid-character sends it.
        const string Json = """
            {"messages": [{"role": "user", "content": "cut \ud800 here"}],
             "tools": [{"type": "function", "function": {"name": "f", "description": "d \udc00",
               "parameters": {"type": "object", "properties": {
                 "x\ud800": {"type": "string", "description": "e"},
                 "nested": {"type": "object", "properties": {"y": {"type": "string", "enum": ["\ud800"]}}}}}}}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"const": "\udc00"}}}}
            """;

        var tokens = O200k.Count(Body(Json), Endpoints.ChatCompletions);

        tokens.ShouldBeGreaterThan(O200k.Count(Body(Json.Replace("\\ud800", "", StringComparison.Ordinal).Replace("\\udc00", "", StringComparison.Ordinal)), Endpoints.ChatCompletions));
    }

    [Theory]
    [InlineData(TokenizerNames.O200kBase, 124)]
    [InlineData(TokenizerNames.Cl100kBase, 129)]
    public void Count_CookbookConversation_IsWhatTheApiReported(string tokenizer, int reported) =>
        PromptCounters.Shared.Named(tokenizer).Count(Body(CookbookExamples.Conversation), Endpoints.ChatCompletions).ShouldBe(reported);

    [Theory]
    [InlineData(TokenizerNames.O200kBase, 101)]
    [InlineData(TokenizerNames.Cl100kBase, 105)]
    public void Count_CookbookTools_IsWhatTheApiReported(string tokenizer, int reported) =>
        PromptCounters.Shared.Named(tokenizer).Count(Body(CookbookExamples.Tools), Endpoints.ChatCompletions).ShouldBe(reported);

    [Fact]
    public void Count_OneMessage_IsTextPlusRolePlusFraming()
    {
        // 3 for the message, 1 for "user", 3 for "Hello, world", 3 for the reply's priming.
        O200k.Count(Body(Chat("Hello, world")), Endpoints.ChatCompletions).ShouldBe(10);
    }

    [Fact]
    public void Count_EscapedText_CountsTheUnescapedText()
    {
        var plain = O200k.Count(Body(Chat("line one\nline \"two\" — ünïcode")), Endpoints.ChatCompletions);
        var escaped = O200k.Count(Body("""{"messages":[{"role":"user","content":"line one\nline \"two\" \u2014 \u00fcn\u00efcode"}]}"""), Endpoints.ChatCompletions);

        escaped.ShouldBe(plain);
    }

    [Fact]
    public void Count_ChineseText_CountsFarMoreThanFourCharactersAToken()
    {
        var text = string.Concat(Enumerable.Repeat("机器学习模型需要大量的数据来进行训练和评估。", 20));
        var body = Body(Chat(text));

        var real = O200k.Count(body, Endpoints.ChatCompletions);

        real.ShouldBe(O200k.Text.Count(text) + 7);
        real.ShouldBeGreaterThan(text.Length / 4 * 2);
    }

    [Theory]
    [InlineData("机器学习模型需要大量的数据来进行训练和评估。")]
    [InlineData("お誕生日おめでとう。今日は本当に良い天気ですね。")]
    [InlineData("서울의 아파트 가격은 금리 인상 이후 상승세가 다소 둔화되었습니다.")]
    [InlineData("मशीन लर्निंग मॉडल को प्रशिक्षण के लिए बहुत सारे डेटा की आवश्यकता होती है।")]
    public void Heuristic_TextBeyondLatin_CountsAtLeastWhatTheTokenizersCount(string sentence)
    {
        // The fallback for models without a shipped tokenizer must not reserve less than a BPE
        // tokenizer counts; four characters a token reserved a quarter to a third of it.
        var text = string.Concat(Enumerable.Repeat(sentence, 10));

        var heuristic = PromptCounters.Heuristic.Text.Count(text);

        heuristic.ShouldBeGreaterThanOrEqualTo(O200k.Text.Count(text));
        heuristic.ShouldBeGreaterThanOrEqualTo(PromptCounters.Shared.Named(TokenizerNames.Cl100kBase).Text.Count(text) * 8 / 10);
    }

    [Theory]
    [InlineData("low", 85)]
    [InlineData("high", 765)]
    [InlineData("auto", 765)]
    [InlineData(null, 765)]
    public void Count_ImagePart_CountsByTheTileRule(string? detail, int imageTokens)
    {
        var image = detail is null ? "{\"url\":\"https://example.com/a.png\"}" : $"{{\"url\":\"https://example.com/a.png\",\"detail\":\"{detail}\"}}";
        var withImage = Body("""{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":""" + image + "}]}]}");
        var textOnly = Body("""{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"}]}]}""");

        (O200k.Count(withImage, Endpoints.ChatCompletions) - O200k.Count(textOnly, Endpoints.ChatCompletions)).ShouldBe(imageTokens);
    }

    [Fact]
    public void Count_ResponsesInputImage_CountsByTheTileRule()
    {
        var withImage = Body("""{"input":[{"role":"user","content":[{"type":"input_text","text":"Describe"},{"type":"input_image","image_url":"https://example.com/a.png","detail":"low"}]}]}""");
        var textOnly = Body("""{"input":[{"role":"user","content":[{"type":"input_text","text":"Describe"}]}]}""");

        (O200k.Count(withImage, Endpoints.Responses) - O200k.Count(textOnly, Endpoints.Responses)).ShouldBe(ImageTokens.LowDetail);
    }

    [Fact]
    public void Count_JsonSchemaResponseFormat_AddsTheSchemasText()
    {
        const string Schema = """{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}}""";
        var plain = Body(Chat("Extract the person."));
        var withSchema = Body("""{"messages":[{"role":"user","content":"Extract the person."}],"response_format":{"type":"json_schema","json_schema":""" + Schema + "}}");
        var jsonObject = Body("""{"messages":[{"role":"user","content":"Extract the person."}],"response_format":{"type":"json_object"}}""");

        var added = O200k.Count(withSchema, Endpoints.ChatCompletions) - O200k.Count(plain, Endpoints.ChatCompletions);

        added.ShouldBe(O200k.Text.Count(Schema));
        O200k.Count(jsonObject, Endpoints.ChatCompletions).ShouldBe(O200k.Count(plain, Endpoints.ChatCompletions));
    }

    [Fact]
    public void Count_SchemasIndentedOrEscaped_CountAsWrittenCompactly()
    {
        // A nested tool parameter and a response_format schema, the parts counted as JSON text:
        // as a client writes them compactly, and as they arrive after the bus (MassTransit's
        // serializer indents) or from a writer that escapes apostrophes and non-ASCII letters.
        const string Compact = """
            {"messages":[{"role":"user","content":"Find a kettle."}],
             "tools":[{"type":"function","function":{"name":"search","description":"Search the catalogue.","parameters":{"type":"object","properties":{
               "filters":{"type":"object","properties":{"category":{"type":"string","enum":["books","kitchen"]},"max_price":{"type":"number","description":"Highest price in euros, the shop's own"}}},
               "include":{"type":"array","items":{"type":"string","description":"料金"}}}}}}],
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":{"type":"object","properties":{"summary":{"type":"string","description":"One line, quoted \"as is\""}},"required":["summary"]}}}}
            """;
        var compact = Body(Compact);
        var indented = Body(JsonSerializer.Serialize(compact, new JsonSerializerOptions { WriteIndented = true }));
        var escaped = Body(JsonSerializer.Serialize(compact));

        indented.GetRawText().ShouldContain("\n  ");
        escaped.GetRawText().ShouldContain("\\u0027");
        escaped.GetRawText().ShouldContain("\\u6599");
        O200k.Count(indented, Endpoints.ChatCompletions).ShouldBe(O200k.Count(compact, Endpoints.ChatCompletions));
        O200k.Count(escaped, Endpoints.ChatCompletions).ShouldBe(O200k.Count(compact, Endpoints.ChatCompletions));
    }

    [Fact]
    public void Count_ToolCallsAndToolResults_CountTheirText()
    {
        var body = Body("""
            {"messages":[
              {"role":"user","content":"Weather in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18 degrees and sunny"}]}
            """);
        var userOnly = Body(Chat("Weather in Paris?"));

        var added = O200k.Count(body, Endpoints.ChatCompletions) - O200k.Count(userOnly, Endpoints.ChatCompletions);

        var expected = 3 + O200k.Text.Count("assistant") + O200k.Text.Count("get_current_weather") + O200k.Text.Count("{\"location\":\"Paris\"}")
            + 3 + O200k.Text.Count("tool") + O200k.Text.Count("call_1") + O200k.Text.Count("18 degrees and sunny");
        added.ShouldBe(expected);
    }

    [Fact]
    public void Count_ResponsesFlatTools_CountAsChatTools()
    {
        var chat = Body(CookbookExamples.Tools);
        var tool = chat.GetProperty("tools")[0].GetProperty("function");
        var responses = Body(JsonSerializer.Serialize(new
        {
            input = "What's the weather like in San Francisco?",
            tools = new[] { new { type = "function", name = tool.GetProperty("name").GetString(), description = tool.GetProperty("description").GetString(), parameters = tool.GetProperty("parameters") } },
        }));
        var noTools = Body("""{"input":"What's the weather like in San Francisco?"}""");

        var toolTokens = O200k.Count(responses, Endpoints.Responses) - O200k.Count(noTools, Endpoints.Responses);

        // The cookbook's 101 less its two messages (3 + "system" + text, 3 + "user" + text) and the reply's 3.
        var messages = O200k.Count(Body("""{"messages":[{"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},{"role":"user","content":"What's the weather like in San Francisco?"}]}"""), Endpoints.ChatCompletions);
        toolTokens.ShouldBe(101 - messages);
    }

    [Theory]
    [InlineData(Endpoints.Embeddings, """{"input":"Hello, world"}""", 3)]
    [InlineData(Endpoints.Embeddings, """{"input":["Hello, world","Hello, world"]}""", 6)]
    [InlineData(Endpoints.Embeddings, """{"input":[[1,2,3],[4,5]]}""", 5)]
    [InlineData(Endpoints.Completions, """{"prompt":"Hello, world"}""", 3)]
    [InlineData(Endpoints.Moderations, """{"input":[{"type":"text","text":"Hello, world"},{"type":"image_url","image_url":{"url":"https://x"}}]}""", 3)]
    public void Count_OtherEndpoints_CountTheirInputsWithoutFraming(string url, string json, int expected) =>
        O200k.Count(Body(json), url).ShouldBe(expected);

    [Fact]
    public void Count_NotAnObject_IsOne() => Cl100k.Count(Body("[]"), Endpoints.ChatCompletions).ShouldBe(1);
}
