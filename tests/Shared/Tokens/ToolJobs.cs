using System.Text.Json.Nodes;

namespace Dispatcher.Tests.Support;

/// <summary>
/// Chat jobs with function tools (JSON-schema parameters: enums, nested objects, arrays), one to
/// four tools a job; every other job also asks for a structured answer (<c>response_format</c>
/// with a JSON schema), and every third carries an earlier tool call and its result. The tools and
/// the schema make up most of such a prompt's tokens.
/// </summary>
internal static class ToolJobs
{
    private static readonly string[] Tools =
    [
        """
        {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather and a three-day forecast for a location.",
         "parameters": {"type": "object", "properties": {
           "location": {"type": "string", "description": "City and country, e.g. Lyon, France"},
           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"}},
          "required": ["location"]}}}
        """,
        """
        {"type": "function", "function": {"name": "search_products", "description": "Search the product catalogue and return matching items with price and stock.",
         "parameters": {"type": "object", "properties": {
           "query": {"type": "string", "description": "Free-text search terms"},
           "filters": {"type": "object", "description": "Optional filters", "properties": {
             "category": {"type": "string", "enum": ["books", "electronics", "garden", "kitchen", "toys"]},
             "max_price": {"type": "number", "description": "Highest price in euros"},
             "in_stock": {"type": "boolean"}}},
           "limit": {"type": "integer", "description": "Most items to return", "minimum": 1, "maximum": 50}},
          "required": ["query"]}}}
        """,
        """
        {"type": "function", "function": {"name": "create_calendar_event", "description": "Create an event in the user's calendar and invite attendees.",
         "parameters": {"type": "object", "properties": {
           "title": {"type": "string"},
           "start": {"type": "string", "format": "date-time", "description": "Start, ISO 8601"},
           "end": {"type": "string", "format": "date-time", "description": "End, ISO 8601"},
           "attendees": {"type": "array", "items": {"type": "object", "properties": {
             "email": {"type": "string"}, "optional": {"type": "boolean"}}, "required": ["email"]}},
           "reminder_minutes": {"type": "integer", "enum": [0, 5, 15, 30, 60]}},
          "required": ["title", "start", "end"]}}}
        """,
        """
        {"type": "function", "function": {"name": "lookup_order", "description": "Look up an order by its id and return its status, items and shipping details.",
         "parameters": {"type": "object", "properties": {
           "order_id": {"type": "string", "description": "Order id such as ORD-123456"},
           "include": {"type": "array", "items": {"type": "string", "enum": ["items", "shipping", "payments", "returns"]}}},
          "required": ["order_id"]}}}
        """,
        """
        {"type": "function", "function": {"name": "convert_currency", "description": "Convert an amount between two currencies at today's rate.",
         "parameters": {"type": "object", "properties": {
           "amount": {"type": "number"},
           "from": {"type": "string", "description": "ISO 4217 code"},
           "to": {"type": "string", "description": "ISO 4217 code"}},
          "required": ["amount", "from", "to"]}}}
        """,
    ];

    private static readonly string[] Questions =
    [
        "What will the weather be like in Porto this weekend? I am deciding whether to pack an umbrella.",
        "Find me a stainless steel kettle under 40 euros that is in stock, and tell me which one has the best reviews.",
        "Book a 30-minute call with ana@example.com and li@example.com next Tuesday at 10:00 Paris time about the Q3 roadmap.",
        "Where is my order ORD-482913? It was supposed to arrive yesterday and I need it for a birthday on Friday.",
        "How much is 1,250 US dollars in Japanese yen today, and what would it be in euros?",
        "I am planning a garden party for twelve people: check the forecast for Bristol on Saturday and suggest some outdoor games we could buy.",
    ];

    private const string AnswerFormat =
        """
        {"type": "json_schema", "json_schema": {"name": "assistant_answer", "strict": true, "schema": {
          "type": "object", "additionalProperties": false,
          "properties": {
            "summary": {"type": "string", "description": "One or two sentences for the user"},
            "actions": {"type": "array", "items": {"type": "object", "additionalProperties": false,
              "properties": {"tool": {"type": "string"}, "reason": {"type": "string"}}, "required": ["tool", "reason"]}},
            "confidence": {"type": "string", "enum": ["low", "medium", "high"]}},
          "required": ["summary", "actions", "confidence"]}}}
        """;

    private static readonly int[] MaxTokens = [128, 256];

    /// <summary>The body of job <paramref name="i"/> (1-based) for model group <paramref name="model"/>.</summary>
    public static JsonObject Body(int i, string model)
    {
        var tools = new JsonArray();
        for (var k = 0; k < 1 + (i % 4); k++)
        {
            tools.Add(JsonNode.Parse(Tools[(i + k) % Tools.Length]));
        }

        var messages = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant for a retail and travel app. Call a tool when it helps; never invent order data." },
            new JsonObject { ["role"] = "user", ["content"] = Questions[i % Questions.Length] });
        if (i % 3 == 0)
        {
            // An earlier turn: the assistant called a tool and the tool answered.
            var callId = "call_" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = callId,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "lookup_order", ["arguments"] = """{"order_id": "ORD-482913", "include": ["shipping"]}""" },
                }),
            });
            messages.Add(new JsonObject
            {
                ["role"] = "tool",
                ["tool_call_id"] = callId,
                ["content"] = """{"status": "in_transit", "carrier": "DHL", "last_scan": "Leipzig hub", "eta": "2026-05-14"}""",
            });
        }

        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = messages,
            ["tools"] = tools,
            ["tool_choice"] = "auto",
            ["max_tokens"] = MaxTokens[i % MaxTokens.Length],
        };
        if (i % 2 == 0)
        {
            body["response_format"] = JsonNode.Parse(AnswerFormat);
        }

        return body;
    }
}
