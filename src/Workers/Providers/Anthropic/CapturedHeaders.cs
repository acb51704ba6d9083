using Dispatcher.Workers.Providers.Http;

namespace Dispatcher.Workers.Providers.Anthropic;

/// <summary>The headers of the last answer one call received; filled in by <see cref="ResponseHeadersCapture"/>.</summary>
internal sealed class CapturedHeaders
{
    private volatile ProviderResponseHeaders? _headers;

    /// <summary>The headers, or <see cref="ProviderResponseHeaders.Empty"/> when no answer arrived.</summary>
    public ProviderResponseHeaders Headers => _headers ?? ProviderResponseHeaders.Empty;

    /// <summary>Keeps the headers of <paramref name="response"/>.</summary>
    public void Record(HttpResponseMessage response) =>
        _headers = ProviderResponseHeaders.From(response.Headers.Concat(response.Content.Headers));
}
