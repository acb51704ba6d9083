using System.Collections.Concurrent;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// A job's prompt estimate, counted once at intake and carried with the job: routing, quotas and
/// settlement read the number and never count again. A job may be served by any deployment of its
/// model group or of the groups it falls back to, and these may count differently (o200k_base for
/// gpt-4o, cl100k_base for gpt-4, the heuristic for Claude), so the prompt is counted with each
/// distinct tokenizer among them and the largest count is carried: the reservation then covers
/// whichever deployment routing picks, at the price of a little headroom on the others.
/// </summary>
public sealed class PromptEstimates
{
    private readonly CatalogOptions _catalog;
    private readonly PromptCounters _counters;
    private readonly ConcurrentDictionary<string, PromptCounter[]> _byGroup = new(StringComparer.Ordinal);

    /// <summary>Estimates for the groups of <paramref name="catalog"/>, with the process's tokenizers.</summary>
    public PromptEstimates(IOptions<CatalogOptions> catalog) : this(catalog, PromptCounters.Shared)
    {
    }

    internal PromptEstimates(IOptions<CatalogOptions> catalog, PromptCounters counters)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog.Value;
        _counters = counters;
    }

    /// <summary>The prompt tokens of <paramref name="body"/>, a request for <paramref name="url"/> in <paramref name="modelGroup"/>.</summary>
    public int Estimate(string modelGroup, JsonElement body, string url)
    {
        var counters = _byGroup.GetOrAdd(modelGroup, Counters);
        var tokens = 1;
        foreach (var counter in counters)
        {
            tokens = Math.Max(tokens, counter.Count(body, url));
        }

        return tokens;
    }

    /// <summary>The distinct counters of the deployments <paramref name="modelGroup"/> and the groups it falls back to or its rules send to (on any path) hold; the heuristic when none.</summary>
    internal PromptCounter[] Counters(string modelGroup)
    {
        var counters = new List<PromptCounter>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([modelGroup]);
        while (pending.TryDequeue(out var group))
        {
            if (!seen.Add(group))
            {
                continue;
            }

            foreach (var deployment in _catalog.Deployments)
            {
                if (string.Equals(deployment.ModelGroup, group, StringComparison.Ordinal))
                {
                    var counter = _counters.For(deployment);
                    if (!counters.Contains(counter))
                    {
                        counters.Add(counter);
                    }
                }
            }

            var options = _catalog.ModelGroups.Find(g => string.Equals(g.Name, group, StringComparison.Ordinal));
            // A routing rule may send the job to another group, which counts as a fallback here.
            foreach (var next in options?.Fallbacks.Concat(options.ContextWindowFallbacks).Concat(options.Rules.Select(r => r.Group).OfType<string>()) ?? [])
            {
                pending.Enqueue(next);
            }
        }

        return counters.Count == 0 ? [PromptCounters.Heuristic] : [.. counters];
    }
}
