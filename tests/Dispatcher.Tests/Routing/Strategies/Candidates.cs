using Dispatcher.Catalog;
using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

/// <summary>Scored candidates, requests and an allocation probe for the strategy tests.</summary>
internal static class Candidates
{
    private static readonly IReadOnlySet<string> NoneExcluded = new HashSet<string>();

    public static RoutingCandidate Of(
        string id,
        double requestHeadroom = 1,
        double tokenHeadroom = 1,
        int inFlight = 0,
        double? latency = null,
        double cost = 0,
        double weight = 1,
        int priority = 0) =>
        new(new DeploymentOptions { Id = id, ModelGroup = "g", Weight = weight, Priority = priority },
            requestHeadroom, tokenHeadroom, inFlight, latency, cost);

    public static RoutingCandidate[] Named(params string[] ids) => [.. ids.Select(id => Of(id))];

    public static RoutingRequest Request(string? sessionKey = null, Guid? jobId = null) =>
        new(jobId ?? Guid.NewGuid(), "g", 10, 10, null, sessionKey, NoneExcluded);

    /// <summary>The id <paramref name="strategy"/> picks among <paramref name="candidates"/>.</summary>
    public static string PickId(this IRoutingStrategy strategy, RoutingRequest request, RoutingCandidate[] candidates) =>
        candidates[strategy.Pick(request, candidates)].Deployment.Id;

    /// <summary>How often each id was picked over <paramref name="picks"/> decisions.</summary>
    public static Dictionary<string, int> Count(IRoutingStrategy strategy, RoutingCandidate[] candidates, int picks)
    {
        var counts = candidates.ToDictionary(c => c.Deployment.Id, _ => 0);
        var request = Request();
        for (var i = 0; i < picks; i++)
        {
            counts[strategy.PickId(request, candidates)]++;
        }

        return counts;
    }

    /// <summary>Bytes this thread allocates over 1000 picks, after 1000 picks of warm-up.</summary>
    public static long AllocatedBytesOverThousandPicks(IRoutingStrategy strategy, RoutingRequest request, RoutingCandidate[] candidates)
    {
        var sink = 0;
        for (var i = 0; i < 1000; i++)
        {
            sink += strategy.Pick(request, candidates);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            sink += strategy.Pick(request, candidates);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(sink);
        return allocated;
    }
}
