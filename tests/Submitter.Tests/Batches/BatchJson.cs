namespace Dispatcher.Submitter.Tests.Batches;

/// <summary>Lines in the OpenAI Batch input format for tests.</summary>
internal static class BatchJson
{
    /// <summary>A valid request line.</summary>
    public static string Line(string customId, string model = "gpt-4o-mini") =>
        $$$"""{"custom_id": "{{{customId}}}", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "{{{model}}}", "messages": [{"role": "user", "content": "Hello {{{customId}}}"}], "max_tokens": 100}}""";

    /// <summary>A line with the given body JSON and otherwise valid fields.</summary>
    public static string WithBody(string body, string customId = "req-1") =>
        $$"""{"custom_id": "{{customId}}", "method": "POST", "url": "/v1/chat/completions", "body": {{body}}}""";

    /// <summary>
    /// A line with the given top-level members before a valid body; pass the members to keep
    /// from custom_id, method and url.
    /// </summary>
    public static string WithMembers(string members) =>
        $$$"""{{{{members}}}, "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}""";
}
