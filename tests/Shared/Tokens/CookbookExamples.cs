namespace Dispatcher.Tests.Support;

/// <summary>
/// The OpenAI Cookbook's examples ("How to count tokens with tiktoken"), with the prompt tokens
/// the OpenAI API reported for them, as printed in the cookbook: what the counting tests check
/// and the token benchmark measures against.
/// </summary>
internal static class CookbookExamples
{
    /// <summary>Section 6's conversation: the API reported 124 prompt tokens on gpt-4o and gpt-4o-mini, 129 on gpt-4.</summary>
    public const string Conversation = """
        {"model":"gpt-4o","max_tokens":1,"messages":[
          {"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
          {"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
          {"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
          {"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
          {"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
          {"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}]}
        """;

    /// <summary>Section 7's request with a tool: the API reported 101 prompt tokens on gpt-4o and gpt-4o-mini, 105 on gpt-4 and gpt-3.5-turbo.</summary>
    public const string Tools = """
        {"model":"gpt-4o","messages":[
          {"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},
          {"role":"user","content":"What's the weather like in San Francisco?"}],
         "tools":[{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather in a given location",
           "parameters":{"type":"object","properties":{
             "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
             "unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},
           "required":["location"]}}}]}
        """;
}
