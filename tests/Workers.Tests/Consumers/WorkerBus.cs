using System.Collections.Concurrent;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Workers.Consumers;
using Dispatcher.Workers.Hosting;
using Dispatcher.Workers.Monitoring;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Workers.Tests.Consumers;

/// <summary>
/// The workers' endpoints as <see cref="WorkersModule"/> configures them, on MassTransit's
/// in-memory test harness, serving one deployment through a scripted adapter. Outcomes are kept
/// instead of sent; <c>failSends</c> makes that many outcome sends fail first.
/// </summary>
internal sealed class WorkerBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly ConcurrentQueue<CompletionAttempted> _reported = new();
    private int _failSends;

    private WorkerBus(IProviderClient client, int failSends)
    {
        _failSends = failSends;
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ProviderRegistry([Deployment], _ => client, _ => new SecretRedactor(null), TimeProvider.System));
        services.AddSingleton<WorkerInstrumentation>();
        services.AddLogging();
        services.AddSingleton<ProviderAnomalyLog>();
        services.AddSingleton<ConfirmedOutcomes>();
        services.AddOptions<WorkerOptions>();
        services.AddSingleton(new PackingSender<CompletionAttempted, CompletionAttemptedPack>(
            SendAsync, outcomes => new CompletionAttemptedPack(outcomes), new PackingLimits { MaxAttempts = 1 }, TimeProvider.System));
        var module = new WorkersModule();
        services.AddMassTransitTestHarness(bus =>
        {
            module.AddConsumers(bus);
            bus.UsingInMemory((context, cfg) => module.ConfigureEndpoints(context, cfg));
        });
        _services = services.BuildServiceProvider(validateScopes: true);
    }

    public static DeploymentOptions Deployment { get; } = new() { Id = "d1", ModelGroup = "m", MaxParallel = 4, TimeoutSeconds = 30 };

    public ITestHarness Harness => _services.GetRequiredService<ITestHarness>();

    public IReadOnlyCollection<CompletionAttempted> Reported => _reported;

    public static async Task<WorkerBus> StartAsync(IProviderClient client, int failSends = 0)
    {
        var bus = new WorkerBus(client, failSends);
        await bus.Harness.Start();
        return bus;
    }

    /// <summary>Sends <paramref name="message"/> to the deployment's queue.</summary>
    public async Task SendAsync<T>(T message)
        where T : class
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Provider(Deployment.Id)));
        await endpoint.Send(message);
    }

    /// <summary>Waits until <paramref name="count"/> outcomes are reported, failing after 10 s.</summary>
    public async Task<IReadOnlyList<CompletionAttempted>> WaitForOutcomesAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_reported.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_reported.Count} of {count} outcomes reported");
            }

            await Task.Delay(20);
        }

        return [.. _reported];
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _services.DisposeAsync();
    }

    private Task SendAsync(Uri address, CompletionAttemptedPack pack, CancellationToken ct)
    {
        if (Interlocked.Decrement(ref _failSends) >= 0)
        {
            return Task.FromException(new TimeoutException($"the broker did not confirm a pack of {pack.Outcomes.Count} sent to {address}"));
        }

        foreach (var outcome in pack.Outcomes)
        {
            _reported.Enqueue(outcome);
        }

        return Task.CompletedTask;
    }
}
