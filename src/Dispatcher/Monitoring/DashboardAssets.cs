using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace Dispatcher.Monitoring;

/// <summary>
/// The dashboard's page, script and style sheet, embedded in this assembly: the dashboard works
/// on a closed network, with nothing fetched from elsewhere.
/// </summary>
internal static class DashboardAssets
{
    private const string Prefix = "Dispatcher.Dashboard.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IResult Serve(string file)
    {
        if (!ContentTypes.TryGetValue(file, out var contentType))
        {
            return Results.NotFound();
        }

        var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(Prefix + file);
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }
}
