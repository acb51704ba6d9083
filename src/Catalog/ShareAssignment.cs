using System.Globalization;

namespace Dispatcher.Catalog;

/// <summary>
/// Which share of the model groups each group is in, when several dispatchers are active at once,
/// each routing the jobs of its own shares (<c>Dispatcher:Shares</c>). A job may move between
/// groups (a fallback, a context window fallback, a rule sending it to another group), and the
/// deployments it may move to must be counted by the same process, so groups joined that way form
/// one component and a component is in one share. Components are ordered by their first group name
/// (ordinal) and the i-th goes to share i mod the number of shares, unless a group of it names its
/// share (<see cref="ModelGroupOptions.Share"/>). Every process computes the same assignment from
/// the same catalog.
/// </summary>
public sealed class ShareAssignment
{
    private readonly Dictionary<string, int> _groups;
    private readonly Dictionary<string, int> _deployments;

    private ShareAssignment(int count, Dictionary<string, int> groups, Dictionary<string, int> deployments)
    {
        Count = count;
        _groups = groups;
        _deployments = deployments;
    }

    /// <summary>How many shares there are.</summary>
    public int Count { get; }

    /// <summary>Every group the catalog knows, with its share.</summary>
    public IReadOnlyDictionary<string, int> Groups => _groups;

    /// <summary>
    /// The share of <paramref name="group"/>; a group the catalog does not know (a job naming no
    /// configured group, which routing refuses) is share 0's to refuse.
    /// </summary>
    public int ShareOf(string group) => _groups.TryGetValue(group, out var share) ? share : 0;

    /// <summary>The share of the deployment <paramref name="deploymentId"/> (its group's), or 0 for one not in the catalog.</summary>
    public int ShareOfDeployment(string deploymentId) => _deployments.TryGetValue(deploymentId, out var share) ? share : 0;

    /// <summary>The ids of the deployments in <paramref name="share"/>.</summary>
    public IReadOnlySet<string> DeploymentsOf(int share) =>
        _deployments.Where(d => d.Value == share).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Assigns the groups of <paramref name="catalog"/> to <paramref name="shares"/> shares. A group's
    /// <see cref="ModelGroupOptions.Share"/> out of range, or two groups of one component naming
    /// different shares, adds an error naming the key to <paramref name="errors"/>.
    /// </summary>
    public static ShareAssignment Create(CatalogOptions catalog, int shares, ICollection<string> errors)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in catalog.Deployments.Select(d => d.ModelGroup).Concat(catalog.ModelGroups.Select(g => g.Name)))
        {
            parent.TryAdd(name, name);
        }

        foreach (var group in catalog.ModelGroups)
        {
            foreach (var other in group.Fallbacks.Concat(group.ContextWindowFallbacks).Concat(group.Rules.Select(r => r.Group).OfType<string>()))
            {
                parent.TryAdd(other, other);
                Join(parent, group.Name, other);
            }
        }

        var components = parent.Keys
            .GroupBy(g => Root(parent, g), StringComparer.Ordinal)
            .Select(c => c.Order(StringComparer.Ordinal).ToList())
            .OrderBy(c => c[0], StringComparer.Ordinal)
            .ToList();
        var assigned = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < components.Count; i++)
        {
            var share = Pinned(catalog, components[i], shares, errors) ?? i % Math.Max(shares, 1);
            foreach (var group in components[i])
            {
                assigned[group] = share;
            }
        }

        var deployments = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var deployment in catalog.Deployments)
        {
            deployments.TryAdd(deployment.Id, assigned.GetValueOrDefault(deployment.ModelGroup));
        }

        return new ShareAssignment(Math.Max(shares, 1), assigned, deployments);
    }

    // The share the component's groups name, checked: in range, and the same for all of them.
    private static int? Pinned(CatalogOptions catalog, List<string> component, int shares, ICollection<string> errors)
    {
        (int Share, string Key, string Group)? first = null;
        for (var i = 0; i < catalog.ModelGroups.Count; i++)
        {
            var group = catalog.ModelGroups[i];
            if (group.Share is not { } share || !component.Contains(group.Name, StringComparer.Ordinal))
            {
                continue;
            }

            var key = string.Create(CultureInfo.InvariantCulture, $"{CatalogOptions.Section}:ModelGroups:{i}:Share");
            if (share < 0 || share >= shares)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: must be between 0 and {shares - 1} (Dispatcher:Shares is {shares}), got {share}."));
                continue;
            }

            if (first is null)
            {
                first = (share, key, group.Name);
            }
            else if (first.Value.Share != share)
            {
                errors.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{key}: model group '{group.Name}' is put in share {share}, but '{first.Value.Group}' ({first.Value.Key}) in share {first.Value.Share}; groups a job can move between (fallbacks, context window fallbacks, rules sending to a group: {string.Join(", ", component)}) must be in one share."));
            }
        }

        return first?.Share;
    }

    private static string Root(Dictionary<string, string> parent, string group)
    {
        while (!string.Equals(parent[group], group, StringComparison.Ordinal))
        {
            group = parent[group];
        }

        return group;
    }

    private static void Join(Dictionary<string, string> parent, string a, string b)
    {
        var (ra, rb) = (Root(parent, a), Root(parent, b));
        if (!string.Equals(ra, rb, StringComparison.Ordinal))
        {
            parent[rb] = ra;
        }
    }
}
