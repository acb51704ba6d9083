namespace Dispatcher.Workers.Providers;

/// <summary>
/// A number a provider sent that cannot be true (a wait of centuries, a negative or
/// out-of-range count) and what the worker made of it instead. Reading never fails on such a
/// number: it is clamped to a sane bound or dropped, and reported here so an operator can see
/// which provider sends nonsense.
/// </summary>
/// <param name="Kind">
/// What the number was: <see cref="RetryAfter"/>, <see cref="Reset"/>, <see cref="Remaining"/>,
/// <see cref="ProcessingTime"/> or <see cref="Usage"/>; the <c>kind</c> tag of
/// <c>worker.provider_anomalies</c>.
/// </param>
/// <param name="Detail">The field, the value as sent (shortened) and what was used instead, for the log.</param>
public sealed record ProviderAnomaly(string Kind, string Detail)
{
    /// <summary>A <c>Retry-After</c> or <c>retry-after-ms</c> value.</summary>
    public const string RetryAfter = "retry_after";

    /// <summary>A rate-limit reset time (<c>x-ratelimit-reset-*</c>, <c>anthropic-ratelimit-*-reset</c>).</summary>
    public const string Reset = "reset";

    /// <summary>A rate-limit remaining counter.</summary>
    public const string Remaining = "remaining";

    /// <summary>The provider's processing time (<c>openai-processing-ms</c>).</summary>
    public const string ProcessingTime = "processing_time";

    /// <summary>A token count in the answer's usage.</summary>
    public const string Usage = "usage";

    // Values are quoted in the detail, so a long one is cut: the log needs the gist, not the bytes.
    private const int QuotedLength = 40;

    /// <summary>An anomaly whose detail names <paramref name="field"/>, quotes <paramref name="value"/> and says <paramref name="outcome"/>.</summary>
    public static ProviderAnomaly Of(string kind, string field, string value, string outcome) =>
        new(kind, $"{field}: '{(value.Length <= QuotedLength ? value : value[..QuotedLength] + "…")}' {outcome}");
}
