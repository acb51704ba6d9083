namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Removes a deployment's API key from text that leaves the adapter. Servers have been known to echo
/// the key they were sent ("Incorrect API key provided: …"), and outcomes are logged and stored.
/// </summary>
internal sealed class SecretRedactor(string? secret)
{
    private const string Mask = "[redacted]";

    /// <summary><paramref name="text"/> without the secret.</summary>
    public string? Redact(string? text) =>
        string.IsNullOrEmpty(secret) || text is null ? text : text.Replace(secret, Mask, StringComparison.Ordinal);

    /// <summary><paramref name="outcome"/> with the secret removed from every text it carries from the provider.</summary>
    public ProviderOutcome Redact(ProviderOutcome outcome) =>
        outcome with
        {
            ErrorMessage = Redact(outcome.ErrorMessage),
            RequestId = Redact(outcome.RequestId),
            Anomalies = outcome.Anomalies?.Select(a => a with { Detail = Redact(a.Detail)! }).ToArray(),
        };
}
