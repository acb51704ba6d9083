using Dispatcher.Catalog;
using Dispatcher.Catalog.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Dispatcher.Routing;

/// <summary>
/// Every model group's rules, compiled once. The first rule of a group whose condition holds for
/// a job decides: a narrowing one is applied by the router (<see cref="DeploymentRouter"/>), a
/// sending one where the job's chain of groups begins (<see cref="Redirect"/>).
/// </summary>
public sealed class RoutingRules
{
    private readonly Dictionary<string, RoutingRule[]> _byGroup;
    private readonly Dictionary<string, string[]> _fallbacks;
    private readonly TimeProvider _time;

    /// <summary>
    /// Compiles the rules of <paramref name="catalog"/>, which its validator has checked; their
    /// windows are read on <paramref name="time"/> (unset: the system clock).
    /// </summary>
    public RoutingRules(IOptions<CatalogOptions> catalog, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        var options = catalog.Value;
        // The catalog's validator reported any mistake at start-up, naming its key; none is left here.
        var errors = new List<string>();
        _byGroup = options.ModelGroups
            .Where(g => g.Rules.Count > 0)
            .ToDictionary(
                g => g.Name,
                g => g.Rules.Select((r, i) => new RoutingRule(g.Name, i, r, RuleConditionParser.Parse(r.When, $"rule {i} of {g.Name}", errors))).ToArray(),
                StringComparer.Ordinal);
        _fallbacks = options.ModelGroups.ToDictionary(g => g.Name, g => g.Fallbacks.ToArray(), StringComparer.Ordinal);
        var rules = options.ModelGroups.SelectMany(g => g.Rules).ToArray();
        Sends = rules.Any(r => r.Group is not null);
        ReadsBodyMetadata = rules.Any(r => Reads(r.When, "body.metadata."));
        ReadsBatchMetadata = rules.Any(r => Reads(r.When, "batch.metadata."));
    }

    /// <summary>Whether any rule sends jobs to another group.</summary>
    public bool Sends { get; }

    /// <summary>Whether any rule reads <c>body.metadata.*</c>: otherwise jobs' body metadata is not gathered.</summary>
    public bool ReadsBodyMetadata { get; }

    /// <summary>Whether any rule reads <c>batch.metadata.*</c>: otherwise batches' metadata is not gathered.</summary>
    public bool ReadsBatchMetadata { get; }

    /// <summary>Whether any group has rules: without any, jobs' traits need not be gathered.</summary>
    public bool Any => _byGroup.Count > 0;

    /// <summary>The rules of <paramref name="group"/>, in order.</summary>
    public IReadOnlyList<RoutingRule> Of(string group) => _byGroup.TryGetValue(group, out var rules) ? rules : [];

    /// <summary>
    /// The first rule of <paramref name="group"/> whose condition holds for the job, and that is
    /// inside one of its windows if it has any (<see cref="RoutingRule.At"/>); null for none.
    /// </summary>
    public RoutingRule? Match(string group, RoutingRequest request)
    {
        if (!_byGroup.TryGetValue(group, out var rules))
        {
            return null;
        }

        var facts = Facts(request);
        var now = _time.GetUtcNow();
        foreach (var rule in rules)
        {
            if (rule.Condition.Matches(facts) && rule.At(now) is { } applying)
            {
                return applying;
            }
        }

        return null;
    }

    /// <summary>
    /// The chain of groups the job routes along: <paramref name="chain"/>, unless the first
    /// group's matching rule sends the job elsewhere, which then gives the target and its
    /// fallbacks (followed again while rules send on; the catalog's validation refuses cycles).
    /// <paramref name="sentBy"/> is the last rule that sent it.
    /// </summary>
    public IReadOnlyList<string> Redirect(RoutingRequest request, IReadOnlyList<string> chain, out RoutingRule? sentBy)
    {
        sentBy = null;
        for (var hops = 0; hops <= _byGroup.Count && chain.Count > 0; hops++)
        {
            if (Match(chain[0], request) is not { SendsTo: { } target } rule)
            {
                break;
            }

            sentBy = rule;
            chain = [target, .. _fallbacks.GetValueOrDefault(target) ?? []];
        }

        return chain;
    }

    // Whether a condition names a field starting with the prefix, at any depth.
    private static bool Reads(IConfigurationSection? when, string prefix) =>
        when is not null && when.GetChildren().Any(c => c.Key.StartsWith(prefix, StringComparison.Ordinal) || Reads(c, prefix));

    private static RuleFacts Facts(RoutingRequest request) => new(
        request.Tenant,
        request.Url,
        request.EstimatedPromptTokens,
        request.Traits?.HasImages ?? false,
        request.Traits?.HasTools ?? false,
        request.Traits?.BodyMetadata,
        request.Traits?.BatchMetadata);
}
