using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dispatcher.Testing;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Bench.Reliability;

/// <summary>
/// One reliability run's world: a virtual host of its own on the private node, a catalog of
/// simulated deployments that audit every call they receive, a ledger, and the
/// <c>DISPATCHER_*</c> variables every product process gets, as an operator would set them.
/// </summary>
internal sealed class ReliabilityEnvironment : IDisposable
{
    /// <summary>The model group every job asks for.</summary>
    public const string ModelGroup = "gpt-reliability";

    /// <summary>The simulated deployments.</summary>
    public static readonly IReadOnlyList<string> Deployments = ["rel-a", "rel-b", "rel-c"];

    private ReliabilityEnvironment(string folder, IReadOnlyDictionary<string, string> variables)
    {
        Folder = folder;
        Variables = variables;
    }

    /// <summary>Configuration, ledger, call log, results and the programs' logs.</summary>
    public string Folder { get; }

    /// <summary>The environment of every product process.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The ledger file.</summary>
    public string LedgerPath => Path.Combine(Folder, "ledger.db");

    /// <summary>The simulated providers' call audit.</summary>
    public string CallLogPath => Path.Combine(Folder, "calls.jsonl");

    /// <summary>Where the Submitter writes the batch's result files.</summary>
    public string OutputFolder => Path.Combine(Folder, "out");

    /// <summary>Creates the virtual host, the folder and the configuration file.</summary>
    public static async Task<ReliabilityEnvironment> CreateAsync(PrivateRabbitNode node, string folder, ReliabilitySettings settings, CancellationToken ct)
    {
        var vhost = "reliability-" + Guid.NewGuid().ToString("N")[..8];
        using (var http = new HttpClient { BaseAddress = node.ManagementUri })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{node.Username}:{node.Password}")));
            (await http.PutAsync($"api/vhosts/{vhost}", Json("{}"), ct)).EnsureSuccessStatusCode();
            (await http.PutAsync($"api/permissions/{vhost}/{node.Username}", Json("""{"configure":".*","write":".*","read":".*"}"""), ct)).EnsureSuccessStatusCode();
        }

        Directory.CreateDirectory(folder);
        var configPath = Path.Combine(folder, "config.json");
        var env = new ReliabilityEnvironment(folder, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DISPATCHER_CONFIG"] = configPath,
            ["DISPATCHER_Transport__Kind"] = "RabbitMq",
            ["DISPATCHER_Transport__RabbitMq__Host"] = node.Host,
            ["DISPATCHER_Transport__RabbitMq__Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Transport__RabbitMq__VirtualHost"] = vhost,
            ["DISPATCHER_Transport__RabbitMq__ManagementPort"] = node.ManagementPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Ledger__Path"] = Path.Combine(folder, "ledger.db"),
            ["DISPATCHER_Urls"] = "http://127.0.0.1:0",
        });
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(new { Catalog = env.Catalog(settings) }), ct);
        return env;
    }

    /// <inheritdoc />
    public void Dispose() => SqliteConnection.ClearAllPools();

    private object Catalog(ReliabilitySettings settings) => new
    {
        Deployments = Deployments.Select(id => new
        {
            Id = id,
            ModelGroup,
            Provider = "Simulated",
            // Quotas to spare: the faults, not the pacing, are under test.
            Rpm = 1_000_000,
            Tpm = 1_000_000_000,
            MaxParallel = settings.MaxParallel,
            InputPricePerMillion = 0.15,
            OutputPricePerMillion = 0.60,
            TimeoutSeconds = 30,
            Simulation = new
            {
                LatencyMs = settings.LatencyMs, LatencySigma = 0.3, ErrorRate = 0, RateLimitRate = 0,
                MinCompletionTokens = 8, MaxCompletionTokens = 32, CallLogPath,
            },
        }).ToArray(),
        ModelGroups = new[] { new { Name = ModelGroup, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
    };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
