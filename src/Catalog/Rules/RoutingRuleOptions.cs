using System.Text;
using Dispatcher.Catalog.Availability;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.Catalog.Rules;

/// <summary>
/// One routing rule of a model group: when its condition holds for a job, the job's candidates
/// are narrowed to the deployments it names (by id, tag, region or provider), or the job is sent
/// to another model group. A group's rules are read in order and the first that matches wins.
/// </summary>
public sealed class RoutingRuleOptions
{
    /// <summary>A name for decision reasons and logs; unset: the rule's index.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The condition, as a JSON object of fields and operators (<c>{"tenant": {"$eq": "acme"}}</c>,
    /// see <see cref="RuleConditionParser"/>); unset or empty: every job.
    /// </summary>
    public IConfigurationSection? When { get; set; }

    /// <summary>Narrow to these deployment ids of the group.</summary>
    public List<string> Deployments { get; set; } = [];

    /// <summary>Narrow to deployments holding any of these tags.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>Narrow to deployments in any of these regions.</summary>
    public List<string> Regions { get; set; } = [];

    /// <summary>Narrow to deployments of any of these providers.</summary>
    public List<string> Providers { get; set; } = [];

    /// <summary>Send the job to this model group (and along its fallbacks) instead; not with a narrowing.</summary>
    public string? Group { get; set; }

    /// <summary>
    /// When the rule applies (<see cref="AvailabilityWindowOptions"/>): outside all its windows it
    /// is passed over as if its condition did not hold. Empty: always.
    /// </summary>
    public List<AvailabilityWindowOptions> Availability { get; set; } = [];

    /// <summary>Whether the rule narrows the candidates (rather than sending the job elsewhere).</summary>
    public bool Narrows => Deployments.Count > 0 || Tags.Count > 0 || Regions.Count > 0 || Providers.Count > 0;

    /// <summary>A condition from JSON text, as configuration would give it: for tests and code-built catalogs.</summary>
    public static IConfigurationSection Condition(string json)
    {
        var text = "{\"When\":" + json + "}";
        return new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text)))
            .Build()
            .GetSection("When");
    }

    /// <summary>Whether <paramref name="deployment"/> is among those the rule narrows to.</summary>
    public bool Selects(DeploymentOptions deployment) =>
        (Deployments.Count == 0 || Deployments.Contains(deployment.Id, StringComparer.Ordinal))
        && (Tags.Count == 0 || Tags.Exists(t => deployment.Tags.Contains(t, StringComparer.Ordinal)))
        && (Regions.Count == 0 || (deployment.Region is { } region && Regions.Contains(region, StringComparer.OrdinalIgnoreCase)))
        && (Providers.Count == 0 || Providers.Contains(deployment.Provider.ToString(), StringComparer.OrdinalIgnoreCase));
}
