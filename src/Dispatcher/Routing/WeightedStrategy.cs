using System.Runtime.InteropServices;
using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// Splits jobs by <c>Weight</c>, for gradual rollouts and A/B splits, with smooth weighted round
/// robin (as nginx does): each pick adds every candidate's weight to its running score, takes
/// the highest score and subtracts the candidates' total weight from it. It is deterministic,
/// interleaved rather than bursty (3:1 gives a, a, b, a, …), and with integer weights over a
/// fixed candidate set every run of picks as long as the weights' sum holds the exact split.
/// </summary>
/// <remarks>
/// Scores are kept per deployment id, not per position, so a candidate set that changes
/// between picks (a deployment filtered out for a while, a different order) keeps working: the
/// shares converge to the weights of the candidates present. A weight of 0 is never chosen
/// while any candidate present has a positive weight; when all are 0 they share equally.
/// </remarks>
public sealed class WeightedStrategy : IRoutingStrategy
{
    // The router calls under its own lock; the dictionary must not be mutated concurrently
    // even if someone calls without it.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, double> _scores = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => StrategyNames.Weighted;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var total = 0.0;
        foreach (var candidate in candidates)
        {
            total += WeightOf(candidate);
        }

        var equalShares = total <= 0;
        if (equalShares)
        {
            total = candidates.Length;
        }

        lock (_gate)
        {
            var best = -1;
            var bestScore = 0.0;
            for (var i = 0; i < candidates.Length; i++)
            {
                var weight = equalShares ? 1 : WeightOf(candidates[i]);
                if (weight <= 0)
                {
                    // Skipped outright: its score stays put, and after other deployments were
                    // filtered out the present ones can all sit below zero, where a 0 would win.
                    continue;
                }

                ref var score = ref CollectionsMarshal.GetValueRefOrAddDefault(_scores, candidates[i].Deployment.Id, out _);
                score += weight;
                if (best < 0 || score > bestScore)
                {
                    best = i;
                    bestScore = score;
                }
            }

            // Looked up again: adding a key above may have moved the dictionary's storage.
            CollectionsMarshal.GetValueRefOrNullRef(_scores, candidates[best].Deployment.Id) -= total;
            return best;
        }
    }

    private static double WeightOf(in RoutingCandidate candidate)
    {
        var weight = candidate.Deployment.Weight;
        return weight > 0 && double.IsFinite(weight) ? weight : 0;
    }
}
