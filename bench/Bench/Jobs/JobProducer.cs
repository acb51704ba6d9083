using System.Globalization;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Batches;
using Dispatcher.Contracts;
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
    public static Task<JobProducer> StartAsync(PrivateRabbitNode node, CancellationToken ct) => StartAsync(node, [], ct);

    /// <summary>Starts a producer bus on the node that also runs the receive endpoints of <paramref name="modules"/>.</summary>
    public static async Task<JobProducer> StartAsync(PrivateRabbitNode node, IBusModule[] modules, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Transport:Kind"] = nameof(TransportKind.RabbitMq),
            ["Transport:RabbitMq:Host"] = node.Host,
            ["Transport:RabbitMq:Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddCompletionBus(builder.Configuration, modules);
        var host = builder.Build();
        await host.StartAsync(ct);
        return new JobProducer(host);
    }

    /// <summary>Publishes the batch file as batch <paramref name="batchId"/>; returns the jobs sent.</summary>
    public Task<int> PublishAsync(string path, string batchId, int lines, CancellationToken ct) =>
        new BatchPublisher(_host.Services.GetRequiredService<IBus>())
            .PublishAsync(path, batchId, lines, BatchFileLimits.Default, progress: null, ct);

    /// <summary>
    /// Sends one job to the intake on its own, as <c>Submitter publish</c> does (the intake's
    /// exchange, the job's broker priority); completes once the broker has confirmed it.
    /// </summary>
    public async Task SendAsync(SubmitCompletion job, CancellationToken ct)
    {
        var intake = await _host.Services.GetRequiredService<IBus>().GetSendEndpoint(IntakePriority.IntakeAddress);
        await intake.Send(job, context => IntakePriority.Apply(context, job.Priority), ct);
    }

    /// <summary>Sends <paramref name="message"/> to <paramref name="address"/> with the product's bus set-up.</summary>
    public async Task SendAsync<T>(Uri address, T message, CancellationToken ct)
        where T : class
    {
        var endpoint = await _host.Services.GetRequiredService<IBus>().GetSendEndpoint(address);
        await endpoint.Send(message, ct);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
