using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Pipeline;

[Collection(RabbitNodeFixture.Name)]
public sealed class BatchCancelProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Cancel_FromTheCliWhileSubmitWaits_BatchEndsCancelledBothFilesWrittenExit4()
    {
        // About four jobs a second, so the batch is well under way when the cancel lands.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:01",
            Deployments = new[]
            {
                new
                {
                    Id = "it-slow", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 4, BurstFraction = 0.5,
                    InputPricePerMillion = 1.0, OutputPricePerMillion = 2.0,
                    Simulation = new { LatencyMs = 300, LatencySigma = 0.0, Seed = 1 },
                },
            },
        });
        var batch = env.WriteBatch(60);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.BatchControl);
        var dispatcherUrl = await dispatcher.ListeningUrlAsync();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "it-cancel", "--out", outDir, "--timeout", "00:03:00", "--metadata", "team=search");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await ledger.GetBatchStatusAsync("it-cancel", default))?.Succeeded is not >= 3)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"no progress; submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
            await Task.Delay(100);
        }

        await using var cancel = ProgramProcess.Start(
            "Submitter", env.Variables, "cancel", "it-cancel", "--dispatcher", dispatcherUrl.ToString(), "--reason", "changed my mind");
        var cancelExit = await cancel.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));

        cancelExit.ShouldBe(0, $"cancel output:\n{cancel.Output}\ndispatcher:\n{dispatcher.Output}");
        cancel.Output.ShouldMatch(@"batch it-cancel: cancell(ing|ed) \(");
        exit.ShouldBe(4, $"a cancelled batch exits 4; submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        submitter.Output.ShouldContain("cancelled");
        var status = await ledger.GetBatchStatusAsync("it-cancel", default);
        status!.State.ShouldBe(BatchState.Cancelled);
        status.Succeeded.ShouldBeGreaterThanOrEqualTo(3);
        status.Failed.ShouldBeGreaterThan(0);
        // What the batch was submitted with and why it was cancelled are kept with it, over RabbitMQ as through the Batch API.
        status.Metadata!["team"].ShouldBe("search");
        status.ControlReason.ShouldBe("changed my mind");
        var output = File.ReadAllLines(Path.Combine(outDir, "it-cancel-output.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var errors = File.ReadAllLines(Path.Combine(outDir, "it-cancel-errors.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        output.Count.ShouldBe((int)status.Succeeded);
        errors.Count.ShouldBe((int)status.Failed);
        output.Concat(errors).Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(60);
        errors.ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_cancelled");
        // The jobs the cancel itself ended carry its reason (a line arriving later says only that the batch was cancelled).
        errors.ShouldContain(e => e.GetProperty("error").GetProperty("message").GetString()!.Contains("changed my mind"));
    }
}
