using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Integration.Tests.Support;

/// <summary>The whole pipeline in this process on the in-memory transport, with a catalog written for the test.</summary>
public sealed class EmbeddedPipeline : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Action<IServiceCollection>? _configure;
    private IHost _host;

    private EmbeddedPipeline(object catalog, Action<IServiceCollection>? configure)
    {
        ConfigPath = _dir.File("config.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog }));
        _configure = configure;
        _host = SubmitterHosts.Embedded(ConfigPath, _dir.File("ledger.db"), configure);
    }

    /// <summary>Stops the pipeline and starts a new one on the same ledger file, as a restarted process would.</summary>
    public async Task RestartAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _host = SubmitterHosts.Embedded(ConfigPath, _dir.File("ledger.db"), _configure);
        await _host.StartAsync();
    }

    /// <summary>How many attempts ended with each error kind.</summary>
    public async Task<Dictionary<string, long>> AttemptKindsAsync()
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_dir.File("ledger.db")}");
        await c.OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<(string Kind, long Count)>(c, "SELECT error_kind, COUNT(*) FROM attempts GROUP BY error_kind");
        return rows.ToDictionary(r => r.Kind, r => r.Count);
    }

    public string ConfigPath { get; }

    public TempDirectory Directory => _dir;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public JobLedger Ledger => _host.Services.GetRequiredService<JobLedger>();

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a pipeline; <paramref name="catalog"/> is serialized as the Catalog section.</summary>
    public static async Task<EmbeddedPipeline> StartAsync(object catalog, Action<IServiceCollection>? configure = null)
    {
        var pipeline = new EmbeddedPipeline(catalog, configure);
        await pipeline._host.StartAsync();
        return pipeline;
    }

    /// <summary>A simulated deployment with no latency unless given.</summary>
    public static object Simulated(string id, string group = "gpt-test", double errorRate = 0, double rateLimitRate = 0, int maxParallel = 8, double latencyMs = 0) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        MaxParallel = maxParallel,
        InputPricePerMillion = 1.0,
        OutputPricePerMillion = 2.0,
        Simulation = new { LatencyMs = latencyMs, LatencySigma = 0.0, ErrorRate = errorRate, RateLimitRate = rateLimitRate, RetryAfterSeconds = 0, Seed = 1 },
    };

    /// <summary>A simulated deployment whose provider enforces <paramref name="providerRpm"/> per 1 s window, while the catalog says <paramref name="catalogRpm"/>.</summary>
    public static object Limited(string id, int catalogRpm, int providerRpm) => new
    {
        Id = id,
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = catalogRpm,
        BurstFraction = 0.5,
        Simulation = new { LatencyMs = 1, LatencySigma = 0.0, EnforceRpm = providerRpm, EnforceWindowSeconds = 1, Seed = 1 },
    };

    /// <summary>Polls the ledger until the batch completes; fails the test after <paramref name="timeout"/>.</summary>
    public Task<BatchStatus> WaitForBatchAsync(string batchId, TimeSpan? timeout = null) => LedgerPolling.WaitForBatchAsync(Ledger, batchId, timeout);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _dir.Dispose();
    }
}
