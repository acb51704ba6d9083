namespace Dispatcher.Workers.Providers.Anthropic;

/// <summary>
/// Keeps the headers of the answers an <see cref="HttpClient"/> receives, for the call running in
/// the current async flow. The Anthropic SDK's exceptions carry an error's status, body and request
/// id but not its headers, and classification needs them: Retry-After, retry-after-ms and the
/// <c>anthropic-ratelimit-*</c> counters arrive on exactly those 429 and 529 answers.
/// </summary>
internal sealed class ResponseHeadersCapture : DelegatingHandler
{
    // Per call, not per handler: one client serves many concurrent calls, and the execution context
    // flows from the caller through the SDK into SendAsync.
    private readonly AsyncLocal<CapturedHeaders?> _current = new();

    /// <summary>Creates a capture in front of <paramref name="inner"/>.</summary>
    public ResponseHeadersCapture(HttpMessageHandler inner) : base(inner)
    {
    }

    /// <summary>Starts capturing for the calling async flow; the returned object fills in as answers arrive.</summary>
    public CapturedHeaders Begin()
    {
        var captured = new CapturedHeaders();
        _current.Value = captured;
        return captured;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _current.Value?.Record(response);
        return response;
    }
}
