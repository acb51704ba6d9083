using System.Globalization;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Bench.Pipeline;

/// <summary>
/// What the product's processes get in a pipeline stage: the private node, a catalog (by default
/// zero-latency simulated deployments, no errors, no 429s) and a ledger of the stage's own (a
/// SQLite file, or a PostgreSQL database when a connection string is given), all passed as a
/// configuration file and <c>DISPATCHER_*</c> variables as an operator would.
/// </summary>
internal sealed class ProductEnvironment : IDisposable
{
    /// <summary>The model group every bench job asks for.</summary>
    public const string ModelGroup = "gpt-bench";

    /// <summary>The simulated deployments of <see cref="ModelGroup"/>.</summary>
    public static readonly IReadOnlyList<string> Deployments = ["bench-a", "bench-b", "bench-c"];

    private readonly string _ledgerFolder;

    public ProductEnvironment(PrivateRabbitNode node, string folder, string ledgerRoot, int maxParallel, string? postgresConnectionString = null)
        : this(node, folder, ledgerRoot, SimulatedCatalog(maxParallel, latencyMs: 0), postgresConnectionString)
    {
    }

    /// <summary>The same with another catalog (any object that serializes to the catalog's configuration shape).</summary>
    public ProductEnvironment(PrivateRabbitNode node, string folder, string ledgerRoot, object catalog, string? postgresConnectionString = null)
    {
        Folder = folder;
        Directory.CreateDirectory(Folder);
        _ledgerFolder = Directory.CreateDirectory(Path.Combine(ledgerRoot, "dispatcher-bench-ledger-" + Guid.NewGuid().ToString("N"))).FullName;
        LedgerPath = Path.Combine(_ledgerFolder, "ledger.db");
        ConfigPath = Path.Combine(Folder, "config.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog }));
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DISPATCHER_CONFIG"] = ConfigPath,
            ["DISPATCHER_Transport__Kind"] = "RabbitMq",
            ["DISPATCHER_Transport__RabbitMq__Host"] = node.Host,
            ["DISPATCHER_Transport__RabbitMq__Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Transport__RabbitMq__ManagementPort"] = node.ManagementPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Ledger__Path"] = LedgerPath,
            ["DISPATCHER_Urls"] = "http://127.0.0.1:0",
        };
        Ledger = new LedgerOptions { Path = LedgerPath };
        if (postgresConnectionString is not null)
        {
            variables["DISPATCHER_Ledger__Provider"] = nameof(LedgerProvider.Postgres);
            variables["DISPATCHER_Ledger__ConnectionString"] = postgresConnectionString;
            Ledger.Provider = LedgerProvider.Postgres;
            Ledger.ConnectionString = postgresConnectionString;
        }

        Variables = variables;
    }

    /// <summary>The ledger the stage's programs use, for the bench's own reads of it.</summary>
    public LedgerOptions Ledger { get; }

    /// <summary>The stage's folder (configuration, logs).</summary>
    public string Folder { get; }

    /// <summary>The configuration file holding the catalog.</summary>
    public string ConfigPath { get; }

    /// <summary>The stage's ledger file.</summary>
    public string LedgerPath { get; }

    /// <summary>The environment of every product process in the stage.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The deployments' work queues.</summary>
    public static IEnumerable<string> ProviderQueues => Deployments.Select(QueueNames.Provider);

    /// <summary>Every queue the product uses, for cleaning up between stages.</summary>
    public static IEnumerable<string> ProductQueues =>
        ProviderQueues.Concat([QueueNames.Intake, QueueNames.Outcomes, QueueNames.Batches]);

    /// <inheritdoc />
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_ledgerFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; the temp folder is cleaned by the OS eventually.
        }
    }

    /// <summary>
    /// The catalog of <see cref="Deployments"/>: simulated, with a fixed latency per call of
    /// <paramref name="latencyMs"/> (no spread, no errors, no 429s) and quotas no job waits for.
    /// </summary>
    public static object SimulatedCatalog(int maxParallel, int latencyMs) => new
    {
        Deployments = Deployments.Select(id => new
        {
            Id = id,
            ModelGroup,
            Provider = "Simulated",
            Rpm = 1_000_000_000,
            Tpm = 1_000_000_000,
            MaxParallel = maxParallel,
            InputPricePerMillion = 0.15,
            OutputPricePerMillion = 0.60,
            ContextWindow = 128_000,
            TimeoutSeconds = 30,
            Simulation = new
            {
                LatencyMs = latencyMs, LatencySigma = 0, MsPerOutputToken = 0, ErrorRate = 0, RateLimitRate = 0,
                MinCompletionTokens = 8, MaxCompletionTokens = 32, Seed = 7,
            },
        }).ToArray(),
        ModelGroups = new[] { new { Name = ModelGroup, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
    };
}
