using Dispatcher.Catalog;
using Dispatcher.Workers.Providers.Anthropic;
using Dispatcher.Workers.Providers.Http;
using Dispatcher.Workers.Providers.OpenAi;
using Dispatcher.Workers.Providers.Simulated;

namespace Dispatcher.Workers.Providers;

/// <summary>Makes the adapter a deployment's provider kind calls for, with its key from the environment.</summary>
internal sealed class ProviderClientFactory(TimeProvider time, Func<string, string?> environment)
{
    public ProviderClientFactory(TimeProvider time) : this(time, Environment.GetEnvironmentVariable)
    {
    }

    public IProviderClient Create(DeploymentOptions deployment) => deployment.Provider switch
    {
        ProviderKind.Simulated => new SimulatedProvider(deployment, time),
        ProviderKind.OpenAI => new OpenAiProvider(deployment, ApiKey(deployment), time),
        ProviderKind.Anthropic => new AnthropicProvider(deployment, ApiKey(deployment) ?? "", time),
        _ => throw new NotSupportedException($"provider {deployment.Provider} is not available"),
    };

    /// <summary>What removes the deployment's key from text about its calls.</summary>
    public SecretRedactor Redactor(DeploymentOptions deployment) => new(ApiKey(deployment));

    // Read at creation and kept only inside the SDK client and the redactor; never logged or put in a message.
    private string? ApiKey(DeploymentOptions deployment) =>
        string.IsNullOrWhiteSpace(deployment.ApiKeyVariable) ? null : environment(deployment.ApiKeyVariable);
}
