using Dispatcher.Catalog;

namespace Dispatcher.Workers.Providers;

internal sealed class ProviderCallPipeline(DeploymentOptions deployment, IProviderClient client, TimeProvider time)
{
    public Task<ProviderOutcome> CallAsync(ProviderRequest request, CancellationToken ct) => deployment.Id.Length > 0 && time is not null ? client.CompleteAsync(request, ct) : throw new InvalidOperationException();
}
