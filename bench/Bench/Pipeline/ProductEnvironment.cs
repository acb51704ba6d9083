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

    /// <summary>
    /// How long a dispatcher of several waits before it joins the other shares' queues as their
    /// standby (<c>Dispatcher:StandbyJoinDelay</c>): long enough for every dispatcher, started
    /// together on a busy machine, to be first on its own share's queues and so route that share.
    /// </summary>
    public static readonly TimeSpan StandbyJoinDelay = TimeSpan.FromSeconds(15);

    private readonly string _ledgerFolder;

    /// <summary>
    /// The stage's environment with <see cref="SimulatedCatalog(int, int, int)"/> of zero latency;
    /// with <paramref name="shares"/> above 1 (which needs PostgreSQL), for that many active dispatchers.
    /// </summary>
    public ProductEnvironment(PrivateRabbitNode node, string folder, string ledgerRoot, int maxParallel, string? postgresConnectionString = null, int shares = 1)
        : this(node, folder, ledgerRoot, SimulatedCatalog(maxParallel, latencyMs: 0, shares), postgresConnectionString, shares)
    {
    }

    /// <summary>
    /// The same with another catalog (any object that serializes to the catalog's configuration
    /// shape); with <paramref name="shares"/> above 1, every dispatcher splits the model groups into
    /// that many shares (<c>Dispatcher:Shares</c>, single-active queues), which needs PostgreSQL.
    /// </summary>
    public ProductEnvironment(PrivateRabbitNode node, string folder, string ledgerRoot, object catalog, string? postgresConnectionString = null, int shares = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shares);
        if (shares > 1 && postgresConnectionString is null)
        {
            throw new ArgumentException($"{shares} shares need the ledger on PostgreSQL", nameof(postgresConnectionString));
        }

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

        if (shares > 1)
        {
            variables["DISPATCHER_Dispatcher__Shares"] = shares.ToString(CultureInfo.InvariantCulture);
            variables["DISPATCHER_Dispatcher__SingleActiveConsumer"] = "true";
            variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = StandbyJoinDelay.ToString("c", CultureInfo.InvariantCulture);
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

    /// <summary>
    /// The model groups of <see cref="SimulatedCatalog(int, int, int)"/>: <see cref="ModelGroup"/>
    /// alone with one share, otherwise one group per share (<c>gpt-bench-0</c>, <c>gpt-bench-1</c>, …).
    /// </summary>
    public static IReadOnlyList<string> ModelGroups(int shares) =>
        shares == 1 ? [ModelGroup] : [.. Enumerable.Range(0, shares).Select(s => ModelGroup + "-" + s.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// The simulated deployments of <see cref="SimulatedCatalog(int, int, int)"/>: <see cref="Deployments"/>
    /// with one share, otherwise three of the same for each share's group (<c>bench-a-0</c>, …, <c>bench-c-1</c>).
    /// </summary>
    public static IReadOnlyList<string> DeploymentsOf(int shares) =>
        shares == 1 ? Deployments : [.. Enumerable.Range(0, shares).SelectMany(s => Deployments.Select(d => DeploymentOf(d, s)))];

    /// <summary>The work queues of <see cref="DeploymentsOf"/>.</summary>
    public static IEnumerable<string> ProviderQueuesOf(int shares) => DeploymentsOf(shares).Select(QueueNames.Provider);

    /// <summary>
    /// The dispatchers' queues a stage waits on before it starts: the intake and batch announcements,
    /// and, with several shares, each share's outcomes queue and first lane (each share's queues are
    /// named with its suffix, <c>dispatcher-outcomes.s1</c>); with one share, the outcomes queue.
    /// </summary>
    public static string[] DispatcherQueues(int shares) =>
        shares == 1
            ? [QueueNames.Intake, QueueNames.Outcomes, QueueNames.Batches]
            : [QueueNames.Intake, QueueNames.Batches, .. Enumerable.Range(0, shares).SelectMany(s => new[] { ShareQueue(QueueNames.Outcomes, s), ShareQueue(QueueNames.Lane(0), s) })];

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
        Deployments = Deployments.Select(id => Simulated(id, ModelGroup, maxParallel, latencyMs)).ToArray(),
        ModelGroups = new[] { new { Name = ModelGroup, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
    };

    /// <summary>
    /// The same catalog for <paramref name="shares"/> shares: with one, exactly the catalog above;
    /// with more, one model group per share (<see cref="ModelGroups"/>), named in the group's
    /// <c>Share</c>, each with three deployments like those above.
    /// </summary>
    public static object SimulatedCatalog(int maxParallel, int latencyMs, int shares) =>
        shares == 1
            ? SimulatedCatalog(maxParallel, latencyMs)
            : new
            {
                Deployments = Enumerable.Range(0, shares)
                    .SelectMany(s => Deployments.Select(d => Simulated(DeploymentOf(d, s), ModelGroups(shares)[s], maxParallel, latencyMs)))
                    .ToArray(),
                ModelGroups = Enumerable.Range(0, shares)
                    .Select(s => new { Name = ModelGroups(shares)[s], Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256, Share = s })
                    .ToArray(),
            };

    private static object Simulated(string id, string modelGroup, int maxParallel, int latencyMs) => new
    {
        Id = id,
        ModelGroup = modelGroup,
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
    };

    private static string DeploymentOf(string deployment, int share) => deployment + "-" + share.ToString(CultureInfo.InvariantCulture);

    /// <summary>The dispatchers' outcome queues: the one, or one per share with several dispatchers.</summary>
    public static IReadOnlyList<string> OutcomeQueuesOf(int dispatchers) =>
        dispatchers == 1 ? [QueueNames.Outcomes] : [.. Enumerable.Range(0, dispatchers).Select(k => ShareQueue(QueueNames.Outcomes, k))];

    // A share's own queue: the dispatcher names it with the share's suffix (DispatchShares.Queue).
    private static string ShareQueue(string queue, int share) => queue + ".s" + share.ToString(CultureInfo.InvariantCulture);
}
