using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>Serves the process's metrics in the Prometheus text format.</summary>
public static class PrometheusEndpoint
{
    /// <summary>Maps <c>GET <paramref name="path"/></c> (default <c>/metrics</c>) to a scrape.</summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(path, async (HttpContext context) =>
        {
            var scraper = context.RequestServices.GetRequiredService<PrometheusScraper>();
            // Collecting runs the gauges' callbacks synchronously; keep it off the request thread.
            var text = await Task.Run(scraper.Scrape, context.RequestAborted);
            context.Response.ContentType = PrometheusTextWriter.ContentType;
            await context.Response.WriteAsync(text, context.RequestAborted);
        });
    }
}
