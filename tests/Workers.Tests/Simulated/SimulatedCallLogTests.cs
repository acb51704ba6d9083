using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Tests.Support;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Simulated;

namespace Dispatcher.Workers.Tests.Simulated;

public sealed class SimulatedCallLogTests
{
    private static readonly JsonElement Body = JsonDocument.Parse("""{"model":"m","messages":[{"role":"user","content":"hello"}]}""").RootElement;

    [Fact]
    public async Task CompleteAsync_CallLogPathSet_AppendsOneLinePerCallWithJobAndAttempt()
    {
        using var folder = new TempDirectory();
        var log = folder.File("audit/calls.jsonl");
        var provider = new SimulatedProvider(
            new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = new SimulationOptions { LatencyMs = 0, CallLogPath = log } },
            TimeProvider.System);
        var job = Guid.NewGuid();

        await provider.CompleteAsync(new ProviderRequest(Body, 10, 5, job, 1), default);
        await provider.CompleteAsync(new ProviderRequest(Body, 10, 5, job, 2), default);

        var lines = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        lines.Select(l => l.GetProperty("attempt").GetInt32()).ShouldBe([1, 2]);
        lines.ShouldAllBe(l => l.GetProperty("jobId").GetGuid() == job && l.GetProperty("deployment").GetString() == "sim");
        lines.ShouldAllBe(l => l.GetProperty("pid").GetInt32() == Environment.ProcessId);
    }

    [Fact]
    public async Task AppendAsync_ManyWritersOnOneFile_KeepsEveryLine()
    {
        using var folder = new TempDirectory();
        var path = folder.File("calls.jsonl");
        // Separate instances stand for separate processes: each opens the file on its own.
        var writers = Enumerable.Range(0, 4).Select(_ => new SimulatedCallLog(path, TimeProvider.System)).ToArray();

        await Task.WhenAll(writers.SelectMany((writer, w) => Enumerable.Range(1, 250).Select(i =>
            Task.Run(() => writer.AppendAsync("sim", new ProviderRequest(Body, 10, 5, Guid.NewGuid(), (w * 1000) + i), default)))));

        var attempts = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("attempt").GetInt32()).ToList();
        attempts.Count.ShouldBe(1000);
        attempts.Distinct().Count().ShouldBe(1000);
    }
}
