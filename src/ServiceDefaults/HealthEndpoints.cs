using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace Dispatcher.ServiceDefaults;

/// <summary>The health endpoints every program serves.</summary>
public static class HealthEndpoints
{
    /// <summary>
    /// <c>/health/live</c> answers while the process runs (it runs no checks, so a broker outage
    /// does not get the process restarted); <c>/health/ready</c> runs every registered check,
    /// among them MassTransit's bus and endpoint checks, and fails while the bus is not connected.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready");
        return endpoints;
    }
}
