using Dispatcher.Catalog;
using Dispatcher.Catalog.Availability;
using Dispatcher.Catalog.Rules;

namespace Dispatcher.Routing;

/// <summary>A model group's routing rule, compiled once from the catalog (<see cref="RoutingRuleOptions"/>).</summary>
public sealed class RoutingRule
{
    // The rule as it applies inside each of its windows, by the window's index.
    private readonly RoutingRule[] _inWindow;
    // For the rule as it applies inside one window, the rule it is of.
    private readonly RoutingRule? _of;

    internal RoutingRule(string group, int index, RoutingRuleOptions options, RuleCondition condition)
    {
        Group = group;
        Index = index;
        Options = options;
        Condition = condition;
        Description = options.Name is { Length: > 0 } name
            ? $"rule {index} '{name}' of {group}"
            : $"rule {index} of {group}";

        // The catalog's validator reported any mistake in the windows at start-up.
        Schedule = AvailabilitySchedule.Compile(options.Availability, Description, []);
        _inWindow = Schedule?.Windows.Select(w => new RoutingRule(this, w)).ToArray() ?? [];
    }

    // The rule as it applies inside one of its windows: the same rule, named with the window.
    private RoutingRule(RoutingRule rule, AvailabilityWindow window)
    {
        Group = rule.Group;
        Index = rule.Index;
        Options = rule.Options;
        Condition = rule.Condition;
        Schedule = rule.Schedule;
        Window = window;
        Description = $"{rule.Description} in window {window.Index} ({window.Description})";
        _inWindow = [];
        _of = rule;
    }

    /// <summary>The group the rule belongs to.</summary>
    public string Group { get; }

    /// <summary>Its place among the group's rules.</summary>
    public int Index { get; }

    /// <summary>As configured.</summary>
    public RoutingRuleOptions Options { get; }

    /// <summary>Its compiled condition.</summary>
    public RuleCondition Condition { get; }

    /// <summary>When the rule applies (<see cref="RoutingRuleOptions.Availability"/>); null: always.</summary>
    public AvailabilitySchedule? Schedule { get; }

    /// <summary>The window the rule applied in, for a rule with windows that matched; null otherwise.</summary>
    public AvailabilityWindow? Window { get; }

    /// <summary>The group it sends jobs to; null for a rule that narrows.</summary>
    public string? SendsTo => Options.Group;

    /// <summary>
    /// How decision reasons name it, e.g. <c>rule 2 'tools' of gpt-4o-mini</c>, with the window it
    /// applied in for a rule with windows (<c>rule 0 of batch in window 1 (22:00–06:00 Europe/Berlin)</c>).
    /// </summary>
    public string Description { get; }

    /// <summary>Whether the rule leaves <paramref name="deployment"/> among the candidates.</summary>
    public bool Selects(DeploymentOptions deployment) => Options.Selects(deployment);

    /// <summary>The rule as it applies at <paramref name="now"/>, naming the window it applies in; null outside all its windows.</summary>
    public RoutingRule? At(DateTimeOffset now) =>
        Schedule is null ? this : Schedule.OpenWindow(now) is { } window ? (_of ?? this)._inWindow[window.Index] : null;
}
