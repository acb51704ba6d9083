using System.Threading.Channels;
using Dispatcher.ServiceDefaults.Messaging;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Integration.Tests.RabbitMq;

/// <summary>
/// The watchdog on a real broker: it sees every receive endpoint of the bus, and the restart it
/// performs on an endpoint that stays down leaves that endpoint consuming again.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class ReceiveEndpointWatchdogTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task RestartAsync_LiveEndpoint_ConsumesMessagesSentAfterTheRestart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { });
        var queue = "it.watchdog." + Guid.NewGuid().ToString("N")[..8];
        var module = new PingModule(queue);
        using var host = await StartBusAsync(env, module, ct);
        try
        {
            var watchdog = host.Services.GetRequiredService<ReceiveEndpointWatchdog>();
            var bus = host.Services.GetRequiredService<IBus>();
            var (address, endpoint) = await module.Endpoint.Task.WaitAsync(ct);
            watchdog.Queues.ShouldContain(queue, "the watchdog observes the bus's receive endpoints");

            await Send(bus, queue, 1, ct);
            (await module.Received.Reader.ReadAsync(ct)).ShouldBe(1);

            var ready = await watchdog.RestartAsync(address, endpoint, TimeSpan.FromSeconds(30), ct);

            ready.ShouldBeTrue("the endpoint reports ready after the restart");
            watchdog.Restarts.ShouldBe(1);
            await Send(bus, queue, 2, ct);
            (await module.Received.Reader.ReadAsync(ct)).ShouldBe(2, "the restarted endpoint consumes again");
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task RestartAsync_EndpointNotStoppedInTime_FailsWithoutThrowingAndALaterRestartConsumesAgain()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { });
        var queue = "it.watchdog." + Guid.NewGuid().ToString("N")[..8];
        var module = new PingModule(queue);
        using var host = await StartBusAsync(env, module, ct);
        try
        {
            var watchdog = host.Services.GetRequiredService<ReceiveEndpointWatchdog>();
            watchdog.StopTimeout = TimeSpan.FromSeconds(1);
            var bus = host.Services.GetRequiredService<IBus>();
            var (address, endpoint) = await module.Endpoint.Task.WaitAsync(ct);

            // A message in hand that does not finish: the endpoint cannot stop within the timeout.
            await Send(bus, queue, -1, ct);
            (await module.Received.Reader.ReadAsync(ct)).ShouldBe(-1);
            (await watchdog.RestartAsync(address, endpoint, TimeSpan.FromSeconds(5), ct)).ShouldBeFalse();

            module.Release.SetResult();
            watchdog.StopTimeout = TimeSpan.FromSeconds(30);
            (await watchdog.RestartAsync(address, endpoint, TimeSpan.FromSeconds(30), ct)).ShouldBeTrue("restarted once its message finished");
            await Send(bus, queue, 2, ct);
            (await module.Received.Reader.ReadAsync(ct)).ShouldBe(2, "the restarted endpoint consumes again");
        }
        finally
        {
            module.Release.TrySetResult();
            await host.StopAsync(CancellationToken.None);
        }
    }

    // A host with the product's bus on env's broker and module's one endpoint, started.
    private static async Task<IHost> StartBusAsync(PipelineEnvironment env, PingModule module, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(env.Variables
            .Where(v => v.Key.StartsWith("DISPATCHER_Transport__", StringComparison.Ordinal))
            .Select(v => KeyValuePair.Create(v.Key["DISPATCHER_".Length..].Replace("__", ":", StringComparison.Ordinal), (string?)v.Value)));
        builder.Services.AddSingleton(module);
        builder.Services.AddCompletionBus(builder.Configuration, module);
        var host = builder.Build();
        await host.StartAsync(ct);
        return host;
    }

    private static async Task Send(IBus bus, string queue, int n, CancellationToken ct)
    {
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + queue));
        await endpoint.Send(new WatchdogPing(n), ct);
    }

    public sealed record WatchdogPing(int N);

    public sealed class PingConsumer(PingModule module) : IConsumer<WatchdogPing>
    {
        public async Task Consume(ConsumeContext<WatchdogPing> context)
        {
            await module.Received.Writer.WriteAsync(context.Message.N, context.CancellationToken);
            if (context.Message.N < 0)
            {
                await module.Release.Task;
            }
        }
    }

    public sealed class PingModule(string queue) : IBusModule, IReceiveEndpointObserver
    {
        public Channel<int> Received { get; } = Channel.CreateUnbounded<int>();

        // A negative ping is held until this completes.
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<(Uri Address, IReceiveEndpoint Endpoint)> Endpoint { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void AddConsumers(IBusRegistrationConfigurator bus) => bus.AddConsumer<PingConsumer>();

        public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
            where TEndpoint : IReceiveEndpointConfigurator =>
            bus.ReceiveEndpoint(queue, e =>
            {
                e.ConnectReceiveEndpointObserver(this);
                e.ConfigureConsumer<PingConsumer>(context);
            });

        public Task Ready(ReceiveEndpointReady ready)
        {
            Endpoint.TrySetResult((ready.InputAddress, ready.ReceiveEndpoint));
            return Task.CompletedTask;
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

        public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

        public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
    }
}
