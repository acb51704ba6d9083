using Dispatcher.Catalog;
using Dispatcher.Catalog.Rules;

namespace Dispatcher.Routing;

/// <summary>A model group's routing rule, compiled once from the catalog (<see cref="RoutingRuleOptions"/>).</summary>
public sealed class RoutingRule
{
    internal RoutingRule(string group, int index, RoutingRuleOptions options, RuleCondition condition)
    {
        Group = group;
        Index = index;
        Options = options;
        Condition = condition;
        Description = options.Name is { Length: > 0 } name
            ? $"rule {index} '{name}' of {group}"
            : $"rule {index} of {group}";
    }

    /// <summary>The group the rule belongs to.</summary>
    public string Group { get; }

    /// <summary>Its place among the group's rules.</summary>
    public int Index { get; }

    /// <summary>As configured.</summary>
    public RoutingRuleOptions Options { get; }

    /// <summary>Its compiled condition.</summary>
    public RuleCondition Condition { get; }

    /// <summary>The group it sends jobs to; null for a rule that narrows.</summary>
    public string? SendsTo => Options.Group;

    /// <summary>How decision reasons name it, e.g. <c>rule 2 'tools' of gpt-4o-mini</c>.</summary>
    public string Description { get; }

    /// <summary>Whether the rule leaves <paramref name="deployment"/> among the candidates.</summary>
    public bool Selects(DeploymentOptions deployment) => Options.Selects(deployment);
}
