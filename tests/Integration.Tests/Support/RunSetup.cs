using System.Globalization;
using System.Text.Json;
using Dispatcher.Tests.Support;

namespace Integration.Tests.Support;

/// <summary>
/// What an embedded <c>run</c> a test starts needs: a batch file of chat requests, a catalog of one
/// simulated deployment that logs its calls, and where the ledger and results go.
/// </summary>
internal sealed record RunSetup(string Folder, string BatchPath, string ConfigPath, string LedgerPath, string CallLog)
{
    /// <summary>
    /// Writes <paramref name="jobs"/> lines and a catalog whose deployment allows <paramref name="rpm"/>
    /// requests per <paramref name="quotaWindow"/> (the catalog's default window when null).
    /// </summary>
    public static RunSetup Create(TempDirectory dir, int jobs, int rpm, TimeSpan? quotaWindow = null)
    {
        var setup = new RunSetup(dir.Path, dir.File("batch.jsonl"), dir.File("config.json"), dir.File("ledger.db"), dir.File("calls.jsonl"));
        File.WriteAllLines(setup.BatchPath, Enumerable.Range(1, jobs).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        var deployment = new
        {
            Id = "sim", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = rpm, BurstFraction = 0.5, TimeoutSeconds = 30,
            Simulation = new { LatencyMs = 10, LatencySigma = 0.0, ErrorRate = 0.0, RateLimitRate = 0.0, CallLogPath = setup.CallLog },
        };
        object catalog = quotaWindow is { } window
            ? new { QuotaWindow = window.ToString("c", CultureInfo.InvariantCulture), Deployments = new[] { deployment } }
            : new { Deployments = new[] { deployment } };
        File.WriteAllText(setup.ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog }));
        return setup;
    }

    /// <summary>The <c>run</c> command's arguments.</summary>
    public string[] RunArgs() => ["run", BatchPath, "--config", ConfigPath, "--ledger", LedgerPath, "--out", Path.Combine(Folder, "out")];

    /// <summary>The provider's latency for one run, as an environment override of the catalog.</summary>
    public IReadOnlyDictionary<string, string> Variables(int latencyMs) => new Dictionary<string, string>
    {
        ["DISPATCHER_Catalog__Deployments__0__Simulation__LatencyMs"] = latencyMs.ToString(CultureInfo.InvariantCulture),
    };
}
