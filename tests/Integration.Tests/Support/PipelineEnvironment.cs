using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dispatcher.Testing;
using RabbitMQ.Client;

namespace Integration.Tests.Support;

/// <summary>
/// The environment the product's processes get in a test: a virtual host of its own on the
/// private broker (so tests never see each other's queues), a ledger file and a catalog file
/// in a folder of its own.
/// </summary>
public sealed class PipelineEnvironment : IDisposable
{
    private readonly PrivateRabbitNode _node;

    private PipelineEnvironment(PrivateRabbitNode node, Func<string, object> catalog, string virtualHost)
    {
        _node = node;
        VirtualHost = virtualHost;
        Folder = Path.Combine(Path.GetTempPath(), "dispatcher-it-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        ConfigPath = Path.Combine(Folder, "config.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog(Folder) }));
        LedgerPath = Path.Combine(Folder, "ledger.db");
        Variables = new Dictionary<string, string>
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

    public string Folder { get; }

    public string VirtualHost { get; }

    public string ConfigPath { get; }

    public string LedgerPath { get; }

    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>Creates the virtual host, then the folder and files.</summary>
    public static Task<PipelineEnvironment> CreateAsync(PrivateRabbitNode node, object catalog) =>
        CreateAsync(node, _ => catalog);

    /// <summary>Creates the virtual host, then the folder and files; the catalog is made knowing the folder (for files it names).</summary>
    public static async Task<PipelineEnvironment> CreateAsync(PrivateRabbitNode node, Func<string, object> catalog)
    {
        var vhost = "it-" + Guid.NewGuid().ToString("N")[..12];
        using var http = new HttpClient { BaseAddress = node.ManagementUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{node.Username}:{node.Password}")));
        (await http.PutAsync($"api/vhosts/{vhost}", Json("{}"))).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{vhost}/{node.Username}", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
        return new PipelineEnvironment(node, catalog, vhost);
    }

    /// <summary>
    /// Creates a broker user of this virtual host with the given password, for tests that need
    /// to know the exact password the programs use.
    /// </summary>
    public async Task CreateUserAsync(string user, string password)
    {
        using var http = ManagementClient();
        (await http.PutAsync($"api/users/{user}", Json(JsonSerializer.Serialize(new { password, tags = "" })))).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{VirtualHost}/{user}", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
    }

    /// <summary>The names of every queue in this virtual host.</summary>
    public async Task<IReadOnlyList<string>> QueueNamesAsync()
    {
        using var http = ManagementClient();
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{VirtualHost}?columns=name"));
        return doc.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()!).ToList();
    }

    /// <summary>The type (<c>classic</c>, <c>quorum</c>) of every durable queue in this virtual host, by name.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DurableQueueTypesAsync()
    {
        using var http = ManagementClient();
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{VirtualHost}?columns=name,type,durable"));
        return doc.RootElement.EnumerateArray()
            .Where(q => q.GetProperty("durable").GetBoolean())
            .ToDictionary(q => q.GetProperty("name").GetString()!, q => q.GetProperty("type").GetString()!);
    }

    /// <summary>The node leading quorum queue <paramref name="queue"/>, as the management API names it.</summary>
    public async Task<string> QueueLeaderAsync(string queue)
    {
        using var http = ManagementClient();
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{VirtualHost}/{queue}"));
        return doc.RootElement.GetProperty("leader").GetString()!;
    }

    /// <summary>A RabbitMQ.Client connection factory for this environment's virtual host.</summary>
    public ConnectionFactory ConnectionFactory() => new()
    {
        HostName = _node.Host,
        Port = _node.AmqpPort,
        VirtualHost = VirtualHost,
        UserName = _node.Username,
        Password = _node.Password,
    };

    /// <summary>Waits until every named queue exists and has a consumer: the programs serving them are up.</summary>
    public async Task WaitForConsumersAsync(ProgramProcess program, params string[] queues)
    {
        await using var connection = await ConnectionFactory().CreateConnectionAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var ready = true;
            foreach (var queue in queues)
            {
                await using var probe = await connection.CreateChannelAsync();
                try
                {
                    ready &= (await probe.QueueDeclarePassiveAsync(queue)).ConsumerCount > 0;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    ready = false;
                }
            }

            if (ready)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no consumer on {string.Join(", ", queues)}; output:\n{program.Output}");
    }

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

    /// <summary>Writes a batch file of <paramref name="lines"/> chat requests.</summary>
    public string WriteBatch(int lines, string model = "gpt-test", string name = "batch.jsonl")
    {
        var path = Path.Combine(Folder, name);
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

    private HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = _node.ManagementUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_node.Username}:{_node.Password}")));
        return http;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
