using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>
/// Takes the candidate with the fewest attempts in flight. Among equally busy ones it takes the
/// most headroom (the highest of min(request headroom, token headroom)); further ties keep
/// catalog order.
/// </summary>
public sealed class LeastBusyStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.LeastBusy;

    /// <inheritdoc />
    public CandidateFacts Weighs => CandidateFacts.Headroom;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var best = 0;
        var bestInFlight = candidates[0].InFlight;
        var bestHeadroom = Headroom(candidates[0]);
        for (var i = 1; i < candidates.Length; i++)
        {
            var inFlight = candidates[i].InFlight;
            if (inFlight > bestInFlight)
            {
                continue;
            }

            var headroom = Headroom(candidates[i]);
            if (inFlight < bestInFlight || headroom > bestHeadroom)
            {
                best = i;
                bestInFlight = inFlight;
                bestHeadroom = headroom;
            }
        }

        return best;
    }

    private static double Headroom(in RoutingCandidate candidate) =>
        Math.Min(candidate.RequestHeadroom, candidate.TokenHeadroom);
}
