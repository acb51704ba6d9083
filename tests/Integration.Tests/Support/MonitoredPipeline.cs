using System.Text.Json;
using Dispatcher.BatchApi;
using Dispatcher.Hosting;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Batches;
using Dispatcher.Tests.Support;
using Dispatcher.Workers.Hosting;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Integration.Tests.Support;

/// <summary>
/// The dispatcher's web host (status API and dashboard on a free loopback port) with the
/// workers in the same process on the in-memory transport and simulated providers: a running
/// pipeline to watch, composed the way the Dispatcher program composes itself.
/// </summary>
public sealed class MonitoredPipeline : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly WebApplication _app;

    private MonitoredPipeline(object catalog, IReadOnlyDictionary<string, string?>? settings)
    {
        ConfigPath = _dir.File("config.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new { Catalog = catalog }));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddDispatcherSources([], ConfigPath);
        var overrides = new Dictionary<string, string?>
        {
            ["Ledger:Path"] = _dir.File("ledger.db"),
            ["Transport:Kind"] = nameof(TransportKind.InMemory),
            ["Monitoring:RefreshInterval"] = "00:00:00.250",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddDispatcher();
        builder.Services.AddWorkers();
        builder.Services.AddCompletionBus(builder.Configuration, new DispatcherModule(), new WorkersModule());
        builder.Services.AddDispatcherMonitoring(builder.Configuration);
        builder.Services.AddBatchApi();
        _app = builder.Build();
        _app.MapDispatcherMonitoring();
        _app.MapBatchApi();
    }

    public string ConfigPath { get; }

    public string LedgerPath => _dir.File("ledger.db");

    public TempDirectory Directory => _dir;

    /// <summary>The dispatcher's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public JobLedger Ledger => _app.Services.GetRequiredService<JobLedger>();

    public static async Task<MonitoredPipeline> StartAsync(object catalog, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var pipeline = new MonitoredPipeline(catalog, settings);
        await pipeline._app.StartAsync();
        var address = pipeline._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        pipeline.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return pipeline;
    }

    /// <summary>Writes a batch of <paramref name="lines"/> chat requests and submits it as <paramref name="batchId"/>.</summary>
    public async Task SubmitBatchAsync(string batchId, int lines)
    {
        var path = _dir.File(batchId + ".jsonl");
        await File.WriteAllLinesAsync(path, Enumerable.Range(1, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 32 },
        })));
        await new BatchPublisher(_app.Services.GetRequiredService<IBus>()).PublishAsync(path, batchId, lines, new BatchFileLimits(), null, default);
    }

    /// <summary>Polls the ledger until the batch completes; fails the test after <paramref name="timeout"/>.</summary>
    public Task<BatchStatus> WaitForBatchAsync(string batchId, TimeSpan? timeout = null) => LedgerPolling.WaitForBatchAsync(Ledger, batchId, timeout);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}
