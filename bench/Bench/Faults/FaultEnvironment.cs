using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dispatcher.Bench.Processes;
using Dispatcher.Testing;
using Microsoft.Data.Sqlite;
using RabbitMQ.Client;

namespace Dispatcher.Bench.Faults;

/// <summary>
/// One faulted run's world: a virtual host of its own on the private node, a catalog (written
/// by the run, naming this environment's call log), a ledger, and the <c>DISPATCHER_*</c>
/// variables every product process gets, as an operator would set them.
/// </summary>
internal sealed class FaultEnvironment : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly PrivateRabbitNode _node;

    private FaultEnvironment(PrivateRabbitNode node, string folder, string virtualHost)
    {
        _node = node;
        Folder = folder;
        VirtualHost = virtualHost;
        Variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DISPATCHER_CONFIG"] = ConfigPath,
            ["DISPATCHER_Transport__Kind"] = "RabbitMq",
            ["DISPATCHER_Transport__RabbitMq__Host"] = node.Host,
            ["DISPATCHER_Transport__RabbitMq__Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Transport__RabbitMq__VirtualHost"] = virtualHost,
            ["DISPATCHER_Transport__RabbitMq__ManagementPort"] = node.ManagementPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Ledger__Path"] = LedgerPath,
            ["DISPATCHER_Urls"] = "http://127.0.0.1:0",
        };
    }

    /// <summary>Configuration, ledger, call log, results and the programs' logs.</summary>
    public string Folder { get; }

    /// <summary>The run's virtual host.</summary>
    public string VirtualHost { get; }

    /// <summary>The environment of every product process.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The configuration file holding the catalog.</summary>
    public string ConfigPath => Path.Combine(Folder, "config.json");

    /// <summary>The ledger file.</summary>
    public string LedgerPath => Path.Combine(Folder, "ledger.db");

    /// <summary>The simulated providers' call audit, for the catalog's <c>Simulation:CallLogPath</c>.</summary>
    public string CallLogPath => Path.Combine(Folder, "calls.jsonl");

    /// <summary>Where the Submitter writes the batch's result files.</summary>
    public string OutputFolder => Path.Combine(Folder, "out");

    /// <summary>Creates the virtual host, the folder and the configuration file with the catalog <paramref name="catalog"/> makes.</summary>
    public static async Task<FaultEnvironment> CreateAsync(
        PrivateRabbitNode node, string folder, string name, Func<FaultEnvironment, object> catalog, CancellationToken ct)
    {
        var vhost = name + "-" + Guid.NewGuid().ToString("N")[..8];
        using (var http = new HttpClient { BaseAddress = node.ManagementUri })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{node.Username}:{node.Password}")));
            (await http.PutAsync($"api/vhosts/{vhost}", Json("{}"), ct)).EnsureSuccessStatusCode();
            (await http.PutAsync($"api/permissions/{vhost}/{node.Username}", Json("""{"configure":".*","write":".*","read":".*"}"""), ct)).EnsureSuccessStatusCode();
        }

        Directory.CreateDirectory(folder);
        var env = new FaultEnvironment(node, folder, vhost);
        await File.WriteAllTextAsync(env.ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog(env) }), ct);
        return env;
    }

    /// <summary>A RabbitMQ.Client connection factory for the run's virtual host.</summary>
    public ConnectionFactory ConnectionFactory() => new()
    {
        HostName = _node.Host,
        Port = _node.AmqpPort,
        VirtualHost = VirtualHost,
        UserName = _node.Username,
        Password = _node.Password,
    };

    /// <summary>Waits until every named queue exists and has a consumer: the programs serving them are up.</summary>
    public async Task WaitForConsumersAsync(IReadOnlyList<ChildProgram> programs, IReadOnlyList<string> queues, CancellationToken ct)
    {
        await using var connection = await ConnectionFactory().CreateConnectionAsync("bench probe", ct);
        await Polling.UntilAsync(
            async () =>
            {
                foreach (var p in programs)
                {
                    p.ThrowIfExited();
                }

                foreach (var queue in queues)
                {
                    await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
                    try
                    {
                        if ((await channel.QueueDeclarePassiveAsync(queue, ct)).ConsumerCount == 0)
                        {
                            return false;
                        }
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromMilliseconds(200),
            StartTimeout,
            "the programs to consume " + string.Join(", ", queues),
            ct);
    }

    /// <inheritdoc />
    public void Dispose() => SqliteConnection.ClearAllPools();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
