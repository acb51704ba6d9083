using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Deployment;

/// <summary>
/// Two dispatcher processes on one broker and one ledger, as the Kubernetes manifests run them:
/// the dispatcher's queues are single-active, so the second one waits until the first is gone.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class StandbyDispatcherTests(RabbitNodeFixture rabbit) : IDisposable
{
    private static readonly string[] DispatcherQueues = [QueueNames.Intake, QueueNames.Outcomes, QueueNames.Batches];
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly HttpClient _management = CreateManagementClient(rabbit);

    public void Dispose() => _management.Dispose();

    [Fact]
    public async Task SecondDispatcher_StaysIdleWhileFirstRuns_TakesOverWhenItIsKilled()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("sac-a") } });
        await using var first = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await env.WaitForConsumersAsync(first, DispatcherQueues);
        // The management API lists consumers a moment after the broker has them.
        var alone = await WaitForAsync(env.VirtualHost, cs => DispatcherQueues.All(q => cs.Any(c => c.Queue == q && c.Active)), "the first dispatcher's consumers", first);
        var firstConnections = alone.Select(c => c.Connection).ToHashSet(StringComparer.Ordinal);

        foreach (var queue in DispatcherQueues)
        {
            (await QueueArgumentsAsync(env.VirtualHost, queue)).GetProperty("x-single-active-consumer").GetBoolean()
                .ShouldBeTrue($"{queue} is not single-active");
        }

        // The intake stays a priority queue as well.
        (await QueueArgumentsAsync(env.VirtualHost, QueueNames.Intake)).GetProperty("x-max-priority").GetInt32().ShouldBe(9);

        await using var second = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        var both = await WaitForAsync(env.VirtualHost, cs => DispatcherQueues.All(q => cs.Count(c => c.Queue == q) == 2), "two consumers on every dispatcher queue", second);
        AssertActive(both, firstConnections, expectFirst: true);

        await SubmitAsync(env, "before-kill", second, first);
        AssertActive(await ConsumersAsync(env.VirtualHost), firstConnections, expectFirst: true);

        first.Kill();
        var takenOver = await WaitForAsync(
            env.VirtualHost,
            cs => DispatcherQueues.All(q => cs.Count(c => c.Queue == q) == 1 && cs.Any(c => c.Queue == q && c.Active)),
            "the standby active on every dispatcher queue",
            second);
        AssertActive(takenOver, firstConnections, expectFirst: false);

        await SubmitAsync(env, "after-kill", second, first);
        second.HasExited.ShouldBeFalse();
    }

    private static void AssertActive(IReadOnlyList<QueueConsumer> consumers, HashSet<string> firstConnections, bool expectFirst)
    {
        foreach (var queue in DispatcherQueues)
        {
            var active = consumers.Where(c => c.Queue == queue && c.Active).ToList();
            active.Count.ShouldBe(1, $"{queue}: {string.Join(", ", consumers.Where(c => c.Queue == queue))}");
            var seen = $"{queue}: {string.Join(", ", consumers)}; first: {string.Join(", ", firstConnections)}";
            firstConnections.Contains(active[0].Connection).ShouldBe(expectFirst, seen);
        }
    }

    private static async Task SubmitAsync(PipelineEnvironment env, string batchId, ProgramProcess standby, ProgramProcess first)
    {
        var outDir = Path.Combine(env.Folder, "out-" + batchId);
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", env.WriteBatch(20, name: batchId + ".jsonl"), "--wait", "--batch-id", batchId, "--out", outDir, "--timeout", "00:01:30");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2));
        exit.ShouldBe(0, $"submitter:\n{submitter.Output}\nfirst dispatcher:\n{first.Output}\nsecond dispatcher:\n{standby.Output}");
        File.ReadAllLines(Path.Combine(outDir, batchId + "-output.jsonl")).Length.ShouldBe(20);
    }

    private async Task<IReadOnlyList<QueueConsumer>> WaitForAsync(
        string vhost, Func<IReadOnlyList<QueueConsumer>, bool> condition, string what, ProgramProcess program)
    {
        var started = TimeProvider.System.GetTimestamp();
        IReadOnlyList<QueueConsumer> consumers = [];
        while (TimeProvider.System.GetElapsedTime(started) < Deadline)
        {
            consumers = await ConsumersAsync(vhost);
            if (condition(consumers))
            {
                return consumers;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"no {what} within {Deadline}; consumers: {string.Join(", ", consumers)}\noutput:\n{program.Output}");
    }

    private async Task<IReadOnlyList<QueueConsumer>> ConsumersAsync(string vhost)
    {
        using var doc = JsonDocument.Parse(await _management.GetStringAsync($"api/consumers/{Uri.EscapeDataString(vhost)}"));
        return doc.RootElement.EnumerateArray()
            .Select(c => new QueueConsumer(
                c.GetProperty("queue").GetProperty("name").GetString()!,
                c.GetProperty("channel_details").GetProperty("connection_name").GetString()!,
                c.GetProperty("active").GetBoolean()))
            .Where(c => DispatcherQueues.Contains(c.Queue))
            .ToList();
    }

    private async Task<JsonElement> QueueArgumentsAsync(string vhost, string queue)
    {
        using var doc = JsonDocument.Parse(await _management.GetStringAsync($"api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}"));
        return doc.RootElement.GetProperty("arguments").Clone();
    }

    private static HttpClient CreateManagementClient(RabbitNodeFixture rabbit)
    {
        var http = new HttpClient { BaseAddress = rabbit.Node.ManagementUri, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rabbit.Node.Username}:{rabbit.Node.Password}")));
        return http;
    }

    private sealed record QueueConsumer(string Queue, string Connection, bool Active);
}
