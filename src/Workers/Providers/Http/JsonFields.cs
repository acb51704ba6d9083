using System.Globalization;
using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>Typed reads of the fields provider answers carry, shared by the completion readers.</summary>
internal static class JsonFields
{
    /// <summary>
    /// The answer's <c>usage</c> object with its two counts, named as the endpoint names them
    /// (<c>prompt_tokens</c>/<c>completion_tokens</c>, <c>input_tokens</c>/<c>output_tokens</c>); with
    /// no <paramref name="completionName"/> (embeddings produce nothing) the completion count is 0.
    /// The prompt tokens read from the cache come from <c>{promptName}_details.cached_tokens</c>
    /// (OpenAI's <c>prompt_tokens_details</c>, the Responses API's <c>input_tokens_details</c>), 0 when absent.
    /// False when the object or a count is missing (see <see cref="TryGetCount"/>).
    /// </summary>
    public static bool TryGetUsage(JsonElement body, string promptName, string? completionName, List<ProviderAnomaly> anomalies, out TokenUsage usage)
    {
        usage = new TokenUsage(0, 0);
        var completion = 0;
        if (!body.TryGetProperty("usage", out var counts)
            || counts.ValueKind != JsonValueKind.Object
            || !TryGetCount(counts, promptName, out var prompt, anomalies)
            || (completionName is not null && !TryGetCount(counts, completionName, out completion, anomalies)))
        {
            return false;
        }

        usage = new TokenUsage(prompt, completion, CachedTokens(counts, promptName, prompt, anomalies));
        return true;
    }

    // The prompt tokens read from the cache, in the details object beside the prompt count
    // (chat and completions: prompt_tokens_details, Responses: input_tokens_details). Optional:
    // an answer without it read nothing from a cache, and one that says more than the prompt
    // is read as the whole prompt.
    private static int CachedTokens(JsonElement counts, string promptName, int prompt, List<ProviderAnomaly> anomalies)
    {
        if (!counts.TryGetProperty(promptName + "_details", out var details)
            || details.ValueKind != JsonValueKind.Object
            || !TryGetCount(details, "cached_tokens", out var cached, anomalies))
        {
            return 0;
        }

        return Math.Min(cached, prompt);
    }

    /// <summary>
    /// A token count: an integer field. A count no token count can be (negative, or beyond
    /// <see cref="int"/>'s range) does not make the answer unreadable: it is read as 0 or
    /// <see cref="int.MaxValue"/> and reported in <paramref name="anomalies"/>, and the dispatcher
    /// bounds what it bills by the request. False when the field is missing or not an integer.
    /// </summary>
    public static bool TryGetCount(JsonElement owner, string name, out int count, List<ProviderAnomaly> anomalies)
    {
        count = 0;
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        if (value.TryGetInt32(out count) && count >= 0)
        {
            return true;
        }

        double number;
        if (value.TryGetInt64(out var wide))
        {
            number = wide;
        }
        else if (!value.TryGetDouble(out number) || !double.IsFinite(number))
        {
            // Too large even for a double (1e400); its sign still tells which bound it passes.
            number = value.GetRawText().StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (number is >= 0 and <= int.MaxValue)
        {
            // 3.0 is a count; 2.5 is not, and the answer is not one we can read.
            count = (int)number;
            return number == Math.Floor(number);
        }

        count = number < 0 ? 0 : int.MaxValue;
        anomalies.Add(ProviderAnomaly.Of(
            ProviderAnomaly.Usage, "usage." + name, value.GetRawText(), $"is no token count; read as {count.ToString(CultureInfo.InvariantCulture)}"));
        return true;
    }
}
