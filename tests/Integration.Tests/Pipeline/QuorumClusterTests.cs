using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Pipeline;

// In the shared node's collection only so that it does not start three more nodes while other
// broker tests run; it uses a cluster of its own.
[Collection(RabbitNodeFixture.Name)]
public sealed class QuorumClusterTests
{
    [Fact]
    public async Task Submit_IntakeLeaderStoppedMidBatch_BatchCompletesWithOneResultPerCustomId()
    {
        await using var first = await PrivateRabbitNode.StartAsync();
        await using var second = await PrivateRabbitNode.StartClusteredAsync(first);
        await using var third = await PrivateRabbitNode.StartClusteredAsync(first);
        PrivateRabbitNode[] nodes = [first, second, third];
        // Two calls at a time of 100 ms on each deployment: the batch takes several seconds, long
        // enough to lose a node in the middle of it.
        using var env = await PipelineEnvironment.CreateAsync(first, new
        {
            Deployments = new[] { "it-a", "it-b", "it-c" }.Select(id => PipelineEnvironment.Simulated(id, latencyMs: 100, maxParallel: 2)).ToArray(),
        });
        var variables = new Dictionary<string, string>(env.Variables) { ["DISPATCHER_Transport__RabbitMq__QueueType"] = "quorum" };
        for (var i = 0; i < nodes.Length; i++)
        {
            variables[$"DISPATCHER_Transport__RabbitMq__Hosts__{i}"] = $"127.0.0.1:{nodes[i].AmqpPort}";
        }

        var batch = env.WriteBatch(400);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);
        var leader = await env.QueueLeaderAsync(QueueNames.Intake);
        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", batch, "--wait", "--batch-id", "it-cluster", "--out", outDir, "--timeout", "00:03:00");

        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await ledger.GetBatchStatusAsync("it-cluster", default))?.Succeeded is not >= 40 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        (await ledger.GetBatchStatusAsync("it-cluster", default))!.Succeeded.ShouldBeLessThan(400L, "the node goes away in the middle of the batch");
        await nodes.Single(n => n.NodeName == leader).StopAppAsync();
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, $"submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}");
        var customIds = File.ReadAllLines(Path.Combine(outDir, "it-cluster-output.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString())
            .ToList();
        customIds.Count.ShouldBe(400);
        customIds.Distinct().Count().ShouldBe(400);
        (await ledger.GetBatchStatusAsync("it-cluster", default))!.Succeeded.ShouldBe(400L);
    }
}
