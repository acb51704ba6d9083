using Dispatcher.Catalog.Availability;

namespace Dispatcher.Catalog.Rules;

/// <summary>
/// Checks every model group's rules at start-up: their conditions compile, a narrowing names
/// what exists in the group and selects at least one of its deployments, a sending rule names a
/// group with deployments, and no chain of sending rules comes back to where it began.
/// </summary>
internal static class RoutingRuleValidator
{
    public static void Validate(CatalogOptions options, List<string> errors)
    {
        var groups = options.Deployments.Select(d => d.ModelGroup).ToHashSet(StringComparer.Ordinal);
        for (var g = 0; g < options.ModelGroups.Count; g++)
        {
            var group = options.ModelGroups[g];
            var deployments = options.Deployments.Where(d => string.Equals(d.ModelGroup, group.Name, StringComparison.Ordinal)).ToArray();
            for (var r = 0; r < group.Rules.Count; r++)
            {
                var rule = group.Rules[r];
                var key = $"{CatalogOptions.Section}:ModelGroups:{g}:Rules:{r}";
                RuleConditionParser.Parse(rule.When, key + ":When", errors);
                AvailabilitySchedule.Compile(rule.Availability, key + ":Availability", errors);
                if (rule.Group is not null && rule.Narrows)
                {
                    errors.Add($"{key}: a rule either narrows the deployments or sends the job to a Group, not both.");
                }
                else if (rule.Group is null && !rule.Narrows)
                {
                    errors.Add($"{key}: a rule needs Deployments, Tags, Regions or Providers to narrow to, or a Group to send the job to.");
                }
                else if (rule.Group is not null)
                {
                    CheckGroup(options, group.Name, rule.Group, key, groups, errors);
                }
                else
                {
                    CheckNarrowing(rule, deployments, group.Name, key, errors);
                }
            }
        }
    }

    private static void CheckGroup(CatalogOptions options, string from, string to, string key, HashSet<string> groups, List<string> errors)
    {
        if (!groups.Contains(to))
        {
            errors.Add($"{key}:Group: names model group '{to}', which has no deployment.");
            return;
        }

        // Follow every rule that sends onwards from the target: reaching the group the rule
        // belongs to would send a job round for ever.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Group, string Path)>([(to, $"{from} → {to}")]);
        while (pending.TryPop(out var next))
        {
            if (string.Equals(next.Group, from, StringComparison.Ordinal))
            {
                errors.Add($"{key}:Group: sending to '{to}' makes a cycle: {next.Path}.");
                return;
            }

            if (!seen.Add(next.Group))
            {
                continue;
            }

            foreach (var onward in options.Group(next.Group).Rules)
            {
                if (onward.Group is { } target)
                {
                    pending.Push((target, $"{next.Path} → {target}"));
                }
            }
        }
    }

    private static void CheckNarrowing(RoutingRuleOptions rule, DeploymentOptions[] deployments, string group, string key, List<string> errors)
    {
        for (var i = 0; i < rule.Deployments.Count; i++)
        {
            if (!deployments.Any(d => string.Equals(d.Id, rule.Deployments[i], StringComparison.Ordinal)))
            {
                errors.Add($"{key}:Deployments:{i}: no deployment '{rule.Deployments[i]}' in model group '{group}'.");
            }
        }

        for (var i = 0; i < rule.Providers.Count; i++)
        {
            if (!Enum.TryParse<ProviderKind>(rule.Providers[i], ignoreCase: true, out _) || int.TryParse(rule.Providers[i], out _))
            {
                errors.Add($"{key}:Providers:{i}: unknown provider '{rule.Providers[i]}'; known: {string.Join(", ", Enum.GetNames<ProviderKind>())}.");
            }
        }

        if (!deployments.Any(rule.Selects))
        {
            errors.Add($"{key}: selects no deployment of model group '{group}'.");
        }
    }
}
