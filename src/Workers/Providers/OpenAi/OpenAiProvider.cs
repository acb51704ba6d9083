using System.ClientModel;
using System.ClientModel.Primitives;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Http;
using OpenAI;

namespace Dispatcher.Workers.Providers.OpenAi;

/// <summary>
/// Calls OpenAI, Azure OpenAI's v1 endpoint or any OpenAI-compatible server (vLLM, llama.cpp…)
/// through the OpenAI SDK: each endpoint through its own client's protocol method (chat, embeddings,
/// moderations, responses) or, for legacy completions, which the SDK has no public client for,
/// through the same client pipeline. Either way the job's body goes out untouched, so fields this
/// code has never heard of reach the server, and the raw answer (status, headers, body) comes back
/// for classification, its body unchanged.
/// </summary>
internal sealed class OpenAiProvider : IProviderClient
{
    /// <summary>Sent when the deployment has no key: self-hosted servers often need none, but the SDK requires one.</summary>
    internal const string PlaceholderKey = "no-key";

    // The attempt timeout belongs to the call pipeline (Polly); the SDK's own timeout is only a
    // backstop and must never fire first, or a slow answer would be cut short of its budget.
    private static readonly TimeSpan BackstopMargin = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, OpenAiEndpoint> _endpoints;
    private readonly string _model;
    private readonly SecretRedactor _redactor;

    /// <summary>Creates an adapter for <paramref name="deployment"/>.</summary>
    /// <param name="deployment">The deployment: <see cref="DeploymentOptions.BaseUrl"/> (default OpenAI), model and timeout.</param>
    /// <param name="apiKey">The key read from the deployment's <see cref="DeploymentOptions.ApiKeyVariable"/>; null or empty for a keyless server.</param>
    /// <param name="timeProvider">The clock that HTTP-date and timestamp headers are measured against.</param>
    public OpenAiProvider(DeploymentOptions deployment, string? apiKey, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var options = new OpenAIClientOptions
        {
            // Retries belong to the dispatcher's failure flow, which knows about quotas and other deployments.
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromSeconds(deployment.TimeoutSeconds) + BackstopMargin,
        };
        if (deployment.BaseUrl is not null)
        {
            options.Endpoint = deployment.BaseUrl;
        }

        _model = deployment.ProviderModel;
        var client = new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? PlaceholderKey : apiKey), options);
        _endpoints = OpenAiEndpoint.All(client, deployment.BaseUrl ?? OpenAiEndpoint.DefaultBaseUrl, _model, timeProvider).ToDictionary(e => e.Url, StringComparer.Ordinal);
        _redactor = new SecretRedactor(apiKey);
    }

    /// <inheritdoc />
    public async Task<ProviderOutcome> CompleteAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_endpoints.TryGetValue(request.Url, out var endpoint))
        {
            return ProviderOutcome.Failure(ErrorKind.InvalidRequest, $"The endpoint {request.Url} is not one the OpenAI adapter calls.");
        }

        if (!OpenAiRequestBody.TryPrepare(request.Body, _model, out var body, out var error))
        {
            return ProviderOutcome.Failure(ErrorKind.InvalidRequest, error);
        }

        using var content = BinaryContent.Create(body);
        var options = new RequestOptions
        {
            // Error statuses come back as answers to classify, not as exceptions.
            ErrorOptions = ClientErrorBehaviors.NoThrow,
            CancellationToken = cancellationToken,
        };

        // Transport failures (refused, reset) still throw; the call pipeline classifies them.
        using var response = await endpoint.SendAsync(content, options).ConfigureAwait(false);
        var outcome = endpoint.Classifier.Classify(response.Status, ProviderResponseHeaders.From(response.Headers), response.Content.ToString());
        return _redactor.Redact(outcome);
    }
}
