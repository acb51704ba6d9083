using System.Globalization;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Batches;
using Dispatcher.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dispatcher.Bench.Jobs;

/// <summary>
/// A producer on the private node, publishing batch files exactly as <c>Submitter submit</c> does:
/// the product's bus set-up (publisher confirms) and its <see cref="BatchPublisher"/> (a bounded
/// window of unconfirmed sends, the batch announcement first).
/// </summary>
internal sealed class JobProducer : IAsyncDisposable
{
    private readonly IHost _host;

    private JobProducer(IHost host)
    {
        _host = host;
    }

    /// <summary>Starts a producer bus on the node.</summary>
    public static async Task<JobProducer> StartAsync(PrivateRabbitNode node, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Transport:Kind"] = nameof(TransportKind.RabbitMq),
            ["Transport:RabbitMq:Host"] = node.Host,
            ["Transport:RabbitMq:Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddCompletionBus(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(ct);
        return new JobProducer(host);
    }

    /// <summary>Publishes the batch file as batch <paramref name="batchId"/>; returns the jobs sent.</summary>
    public Task<int> PublishAsync(string path, string batchId, int lines, CancellationToken ct) =>
        new BatchPublisher(_host.Services.GetRequiredService<IBus>())
            .PublishAsync(path, batchId, lines, BatchFileLimits.Default, progress: null, ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
