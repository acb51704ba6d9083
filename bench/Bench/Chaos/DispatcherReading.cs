using System.Text.Json;
using Dispatcher.Quotas;

namespace Dispatcher.Bench.Chaos;

/// <summary>
/// What the dispatcher holds in memory at one instant, read from its status snapshot
/// (<c>/api/status</c>): the lifecycles that must all be back to zero once a batch has ended.
/// </summary>
/// <param name="At">When it was read.</param>
/// <param name="InFlight">Attempts reserved against a deployment's quota and not yet settled, over every deployment.</param>
/// <param name="Reserved">Spend reserved against every cap and not yet settled.</param>
/// <param name="Probes">Half-open probe slots taken, over every deployment.</param>
/// <param name="Breakers">Breakers not closed.</param>
/// <param name="Quota">Each deployment's quota use.</param>
internal sealed record DispatcherReading(DateTimeOffset At, int InFlight, decimal Reserved, int Probes, int Breakers, IReadOnlyList<QuotaUsage> Quota)
{
    /// <summary>Whether nothing is held any more.</summary>
    public bool Settled => InFlight == 0 && Reserved == 0 && Probes == 0;

    /// <summary>Reads the status of the dispatcher at <paramref name="http"/>'s base address.</summary>
    public static async Task<DispatcherReading> ReadAsync(HttpClient http, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/status", UriKind.Relative), ct));
        var root = doc.RootElement;
        var deployments = root.GetProperty("deployments").EnumerateArray().ToList();
        var quota = deployments
            .Where(d => d.GetProperty("quota").ValueKind == JsonValueKind.Object)
            .Select(d => d.GetProperty("quota").Deserialize<QuotaUsage>(JsonSerializerOptions.Web)!)
            .ToList();
        var breakers = deployments.Select(d => d.GetProperty("breaker")).ToList();
        return new DispatcherReading(
            root.GetProperty("at").GetDateTimeOffset(),
            quota.Sum(q => q.InFlight),
            root.GetProperty("budgets").EnumerateArray().Sum(b => b.GetProperty("reserved").GetDecimal()),
            breakers.Sum(b => b.TryGetProperty("probes", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0),
            breakers.Count(b => b.GetProperty("state").GetString() != "closed"),
            quota);
    }
}
