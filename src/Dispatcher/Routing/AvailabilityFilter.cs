using Dispatcher.Catalog;
using Dispatcher.Catalog.Availability;
using Microsoft.Extensions.Options;

namespace Dispatcher.Routing;

/// <summary>
/// Removes deployments outside all their availability windows (<see cref="DeploymentOptions.Availability"/>),
/// read on the injected clock; says how long until one opens, so a job that only closed
/// deployments could take waits for it like a job short of quota.
/// </summary>
public sealed class AvailabilityFilter(IOptions<CatalogOptions> catalog, TimeProvider time) : IDeploymentFilter
{
    // The catalog's validator reported any mistake at start-up, naming its key; none is left here.
    private readonly Dictionary<string, AvailabilitySchedule> _schedules = catalog.Value.Deployments
        .Select(d => (d.Id, Schedule: AvailabilitySchedule.Compile(d.Availability, d.Id, [])))
        .Where(d => d.Schedule is not null)
        .ToDictionary(d => d.Id, d => d.Schedule!, StringComparer.Ordinal);

    /// <summary>
    /// The longest wait a decision reports for a window: a job waiting for a window that opens
    /// in hours or days routes again at least this often, as it would for quota.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public string Name => "availability";

    /// <inheritdoc />
    public bool Allows(RoutingRequest request, DeploymentOptions deployment) =>
        !_schedules.TryGetValue(deployment.Id, out var schedule) || schedule.OpenWindow(time.GetUtcNow()) is not null;

    /// <inheritdoc />
    public TimeSpan? OpensIn(RoutingRequest request, DeploymentOptions deployment)
    {
        var now = time.GetUtcNow();
        if (!_schedules.TryGetValue(deployment.Id, out var schedule) || schedule.NextOpening(now) is not { } next)
        {
            return null;
        }

        var wait = next.At - now;
        return wait < MaxWait ? wait : MaxWait;
    }

    /// <inheritdoc />
    public string Explain(RoutingRequest request, DeploymentOptions deployment) => ClosureOf(deployment.Id) ?? Name;

    /// <summary>Why <paramref name="deploymentId"/> is closed now (<see cref="AvailabilitySchedule.Closure"/>); null when it is open or has no windows.</summary>
    public string? ClosureOf(string deploymentId)
    {
        var now = time.GetUtcNow();
        return _schedules.TryGetValue(deploymentId, out var schedule) && schedule.OpenWindow(now) is null ? schedule.Closure(now) : null;
    }
}
