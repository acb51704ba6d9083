using System.Text.Json;
using Dispatcher.Testing;

namespace Integration.Tests.Support;

/// <summary>
/// The environment the product's processes get in a test: the private broker, a ledger file
/// and a catalog file in a folder of the test's own.
/// </summary>
public sealed class PipelineEnvironment : IDisposable
{
    public PipelineEnvironment(PrivateRabbitNode node, object catalog)
    {
        Folder = Path.Combine(Path.GetTempPath(), "dispatcher-it-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        ConfigPath = Path.Combine(Folder, "config.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog }));
        LedgerPath = Path.Combine(Folder, "ledger.db");
        Variables = new Dictionary<string, string>
        {
            ["DISPATCHER_CONFIG"] = ConfigPath,
            ["DISPATCHER_Transport__Kind"] = "RabbitMq",
            ["DISPATCHER_Transport__RabbitMq__Host"] = node.Host,
            ["DISPATCHER_Transport__RabbitMq__Port"] = node.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DISPATCHER_Transport__RabbitMq__ManagementPort"] = node.ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DISPATCHER_Ledger__Path"] = LedgerPath,
            ["DISPATCHER_Urls"] = "http://127.0.0.1:0",
        };
    }

    public string Folder { get; }

    public string ConfigPath { get; }

    public string LedgerPath { get; }

    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>A simulated deployment with a small latency.</summary>
    public static object Simulated(string id, string group = "gpt-test", double latencyMs = 2, int maxParallel = 8, double errorRate = 0) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        MaxParallel = maxParallel,
        InputPricePerMillion = 1.0,
        OutputPricePerMillion = 2.0,
        Simulation = new { LatencyMs = latencyMs, LatencySigma = 0.2, ErrorRate = errorRate, RateLimitRate = 0.0, RetryAfterSeconds = 0 },
    };

    /// <summary>Writes a valid batch file of <paramref name="lines"/> chat requests.</summary>
    public string WriteBatch(int lines, string model = "gpt-test")
    {
        var path = Path.Combine(Folder, "batch.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model, messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
