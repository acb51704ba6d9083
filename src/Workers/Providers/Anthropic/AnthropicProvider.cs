using System.Collections.Immutable;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Http;

namespace Dispatcher.Workers.Providers.Anthropic;

/// <summary>
/// Calls Anthropic's Messages API through the Anthropic SDK. The job's OpenAI body is translated
/// to a Messages body, and the answer back to an OpenAI chat completion, so the rest of the
/// dispatcher sees one wire format.
/// </summary>
internal sealed class AnthropicProvider : IProviderClient, IDisposable
{
    // The attempt timeout belongs to the call pipeline (Polly); the SDK's own timeout is only a
    // backstop and must never fire first.
    private static readonly TimeSpan BackstopMargin = TimeSpan.FromSeconds(5);

    private static readonly IReadOnlyDictionary<string, JsonElement> NoRawData = ImmutableDictionary<string, JsonElement>.Empty;

    private readonly AnthropicClient _client;
    private readonly ResponseHeadersCapture _headers;
    private readonly string _model;
    private readonly ProviderResponseClassifier _classifier;
    private readonly SecretRedactor _redactor;

    /// <summary>Creates an adapter for <paramref name="deployment"/>.</summary>
    /// <param name="deployment">The deployment: <see cref="DeploymentOptions.BaseUrl"/> (default Anthropic's), model and timeout.</param>
    /// <param name="apiKey">The key read from the deployment's <see cref="DeploymentOptions.ApiKeyVariable"/>.</param>
    /// <param name="timeProvider">The clock for <c>created</c> and for the timestamps in rate-limit headers.</param>
    public AnthropicProvider(DeploymentOptions deployment, string apiKey, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var timeout = TimeSpan.FromSeconds(deployment.TimeoutSeconds) + BackstopMargin;
        _headers = new ResponseHeadersCapture(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        var options = new ClientOptions
        {
            // An explicit key also stops the SDK from looking for ANTHROPIC_API_KEY or credential files.
            ApiKey = apiKey,
            // Retries belong to the dispatcher's failure flow, which knows about quotas and other deployments.
            MaxRetries = 0,
            Timeout = timeout,
            // HttpClient's own 100 s default would cut off deployments with longer timeouts.
            HttpClient = new HttpClient(_headers) { Timeout = System.Threading.Timeout.InfiniteTimeSpan },
        };
        if (deployment.BaseUrl is not null)
        {
            options.BaseUrl = BaseUrl(deployment.BaseUrl);
        }

        _client = new AnthropicClient(options);
        _model = deployment.ProviderModel;
        _classifier = new ProviderResponseClassifier(new AnthropicCompletionReader(timeProvider, _model), timeProvider);
        _redactor = new SecretRedactor(apiKey);
    }

    /// <inheritdoc />
    public async Task<ProviderOutcome> CompleteAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Routing sends Anthropic deployments chat jobs only (the catalog refuses other endpoints
        // for them); a job that still gets here cannot be translated to anything Anthropic serves.
        if (request.Url != Endpoints.ChatCompletions)
        {
            return ProviderOutcome.Failure(ErrorKind.InvalidRequest, $"Anthropic serves only {Endpoints.ChatCompletions}, not {request.Url}.");
        }

        if (!AnthropicRequestTranslator.TryTranslate(request.Body, _model, request.MaxTokens, out var body, out var error))
        {
            return ProviderOutcome.Failure(ErrorKind.InvalidRequest, error);
        }

        // Raw body data, because the typed parameters have no temperature or top_p.
        var parameters = MessageCreateParams.FromRawUnchecked(NoRawData, NoRawData, body);
        var captured = _headers.Begin();
        try
        {
            using var response = await _client.WithRawResponse.Messages.Create(parameters, cancellationToken).ConfigureAwait(false);
            var text = await response.ReadAsString(cancellationToken).ConfigureAwait(false);
            var outcome = _classifier.Classify((int)response.StatusCode, ProviderResponseHeaders.From(response.Headers), text);
            return _redactor.Redact(outcome);
        }
        catch (AnthropicApiException ex)
        {
            // The SDK throws for every non-2xx answer; the status, body and request id are on the
            // exception, the headers only in the capture.
            var outcome = _classifier.Classify((int)ex.StatusCode, captured.Headers, ex.ResponseBody);
            return _redactor.Redact(outcome with { RequestId = outcome.RequestId ?? ex.RequestID });
        }
        catch (AnthropicException ex) when (ex is not AnthropicIOException)
        {
            // Anything else the SDK could not make sense of. Its I/O exceptions (refused, reset)
            // go on to the call pipeline, which classifies them as connection failures.
            return ProviderOutcome.Failure(ErrorKind.MalformedResponse, _redactor.Redact(ex.Message) ?? "The provider's answer could not be read.");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    // The SDK appends /v1/messages to its base URL. Deployments are configured OpenAI-style, with
    // the version segment (http://127.0.0.1:8000/v1), so that segment is dropped rather than doubled.
    private static string BaseUrl(Uri configured)
    {
        var text = configured.AbsoluteUri.TrimEnd('/');
        return text.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? text[..^"/v1".Length] : text;
    }
}
