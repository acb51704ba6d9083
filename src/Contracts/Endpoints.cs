namespace Dispatcher.Contracts;

/// <summary>
/// The OpenAI API endpoints a job can ask for, by the <c>url</c> of its OpenAI Batch input line.
/// A job names one; a deployment serves some (the catalog's <c>Endpoints</c>).
/// </summary>
public static class Endpoints
{
    /// <summary>Chat completions; the endpoint of a job that names none.</summary>
    public const string ChatCompletions = "/v1/chat/completions";

    /// <summary>Embeddings: vectors for the <c>input</c>; usage has prompt tokens only.</summary>
    public const string Embeddings = "/v1/embeddings";

    /// <summary>Legacy text completions of a <c>prompt</c>.</summary>
    public const string Completions = "/v1/completions";

    /// <summary>The Responses API: <c>input</c> and <c>instructions</c>.</summary>
    public const string Responses = "/v1/responses";

    /// <summary>Moderations: classifies the <c>input</c>; its <c>model</c> may be left out.</summary>
    public const string Moderations = "/v1/moderations";

    /// <summary>
    /// The model group of a moderation job that names no model: OpenAI's own default moderation
    /// model, so a catalog serves such lines with a group of that name.
    /// </summary>
    public const string DefaultModerationModel = "omni-moderation-latest";

    /// <summary>Every endpoint, chat completions first.</summary>
    public static IReadOnlyList<string> All { get; } = [ChatCompletions, Embeddings, Completions, Responses, Moderations];

    /// <summary>
    /// The endpoint <paramref name="url"/> names, as the one shared string of <see cref="All"/>;
    /// chat completions for a null or blank url (messages from before jobs named one); null for a
    /// url that is no endpoint here. Matched exactly, as the Batch API does.
    /// </summary>
    public static string? Normalize(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return ChatCompletions;
        }

        foreach (var known in All)
        {
            if (string.Equals(url, known, StringComparison.Ordinal))
            {
                return known;
            }
        }

        return null;
    }

    /// <summary>The endpoints as text for messages: "/v1/chat/completions, /v1/embeddings, …".</summary>
    public static string List(IEnumerable<string> urls) => string.Join(", ", urls);
}
