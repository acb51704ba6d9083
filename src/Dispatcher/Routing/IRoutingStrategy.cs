namespace Dispatcher.Routing;

/// <summary>
/// Picks one deployment among those the filters left. Called under the router's lock, once per
/// decision: implementations must be fast and allocation-free.
/// </summary>
public interface IRoutingStrategy
{
    /// <summary>The name used in the catalog's <c>Strategy</c> key.</summary>
    string Name { get; }

    /// <summary>What <see cref="Pick"/> reads from the candidates beyond the deployment and its load.</summary>
    CandidateFacts Weighs => CandidateFacts.None;

    /// <summary>The index in <paramref name="candidates"/> (never empty) of the chosen deployment.</summary>
    int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates);
}
