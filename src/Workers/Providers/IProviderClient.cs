namespace Dispatcher.Workers.Providers;

/// <summary>
/// Calls one deployment's provider. An adapter classifies every answer it gets into a
/// <see cref="ProviderOutcome"/>; it throws only for what it cannot see an answer for
/// (cancellation, connection failures), which the worker's call pipeline classifies. Anything
/// else it throws fails that one call as <see cref="Contracts.ErrorKind.WorkerFault"/>.
/// Adapters never retry: retries belong to the dispatcher's failure flow.
/// </summary>
public interface IProviderClient
{
    /// <summary>Runs one request against the endpoint <see cref="ProviderRequest.Url"/> names.</summary>
    Task<ProviderOutcome> CompleteAsync(ProviderRequest request, CancellationToken cancellationToken);
}
