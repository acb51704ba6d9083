using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Pipeline;

[Collection(RabbitNodeFixture.Name)]
public sealed class SeparateProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Submit_BatchThroughSeparateDispatcherAndWorkerProcesses_OneResultPerCustomId()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[] { PipelineEnvironment.Simulated("it-a"), PipelineEnvironment.Simulated("it-b"), PipelineEnvironment.Simulated("it-c") },
        });
        var batch = env.WriteBatch(400);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        // Two worker processes splitting the deployments between them, as a scaled-out deployment would.
        await using var workersAb = ProgramProcess.Start("Workers.Host", env.Variables, "--Workers:Deployments:0=it-a", "--Workers:Deployments:1=it-b");
        await using var workersC = ProgramProcess.Start("Workers.Host", env.Variables, "--Workers:Deployments:0=it-c");
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "it-batch", "--out", outDir, "--timeout", "00:03:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, $"submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workersAb.Output}{workersC.Output}");
        var lines = File.ReadAllLines(Path.Combine(outDir, "it-batch-output.jsonl"));
        lines.Length.ShouldBe(400);
        var customIds = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        customIds.Distinct().Count().ShouldBe(400);
        File.ReadAllLines(Path.Combine(outDir, "it-batch-errors.jsonl")).ShouldBeEmpty();

        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);
        var shares = await ledger.GetDeploymentSharesAsync("it-batch", default);
        shares.Select(s => s.DeploymentId).OrderBy(x => x).ShouldBe(["it-a", "it-b", "it-c"]);
        shares.Sum(s => s.Succeeded).ShouldBe(400);

        // The queue depths are read from the management API every 2 s; that is no news for the log.
        dispatcher.Output.ShouldNotContain("HTTP request", Case.Insensitive, dispatcher.Output);
        submitter.Output.ShouldNotContain("Application started", Case.Insensitive, "the CLI prints only its own output");
    }
}
