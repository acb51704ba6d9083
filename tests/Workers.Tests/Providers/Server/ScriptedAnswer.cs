namespace Dispatcher.Workers.Tests.Providers.Server;

/// <summary>What the scripted server answers.</summary>
internal sealed record ScriptedAnswer(
    int Status,
    string Body,
    IReadOnlyDictionary<string, string>? Headers = null,
    TimeSpan Delay = default,
    string ContentType = "application/json")
{
    public static ScriptedAnswer Json(int status, string body, params (string Name, string Value)[] headers) =>
        new(status, body, headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase));
}
