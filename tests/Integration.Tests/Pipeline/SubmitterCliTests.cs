using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Pipeline;

/// <summary>The Submitter program as a user runs it, against a real broker.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class SubmitterCliTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Submit_BadFile_ExitsWithLineAndFieldAndPublishesNothing()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("cli") } });
        var path = env.WriteBatch(50);
        var lines = File.ReadAllLines(path);
        lines[29] = lines[29].Replace("\"POST\"", "\"GET\"", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        await using var submitter = ProgramProcess.Start("Submitter", env.Variables, "submit", path);
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2));

        exit.ShouldBe(2, submitter.Output);
        submitter.Output.ShouldContain("line 30, field method");
        submitter.Output.ShouldContain("nothing was published");
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The intake was never even declared: not one message of the file went out.
        await Should.ThrowAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync(QueueNames.Intake));
    }

    [Fact]
    public async Task Publish_OneJob_ResultIsConsumedLiveAsJsonl()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("cli") } });
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);
        await using var consumer = ProgramProcess.Start("Submitter", env.Variables, "consume", "--max", "1", "--duration", "00:02:00");
        // The consumer's queue must be bound before the result is published.
        await EventuallyAsync(() => consumer.HasExited || QueueCountAsync(env).Result > 0, TimeSpan.FromSeconds(60));

        await using var publisher = ProgramProcess.Start("Submitter", env.Variables, "publish", "--model", "gpt-test", "--prompt", "hello there", "--custom-id", "one-job");
        (await publisher.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(0, publisher.Output);
        (await consumer.WaitForExitAsync(TimeSpan.FromMinutes(2))).ShouldBe(0, consumer.Output);

        var line = consumer.Output.Split('\n').Single(l => l.StartsWith('{'));
        var json = System.Text.Json.JsonDocument.Parse(line).RootElement;
        json.GetProperty("event").GetString().ShouldBe("succeeded");
        json.GetProperty("result").GetProperty("customId").GetString().ShouldBe("one-job");
    }

    private static async Task<int> QueueCountAsync(PipelineEnvironment env)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        var json = await http.GetStringAsync(new Uri(new Uri($"http://127.0.0.1:{env.Variables["DISPATCHER_Transport__RabbitMq__ManagementPort"]}/"), $"api/bindings/{env.VirtualHost}"));
        return System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Count(b => b.GetProperty("source").GetString() == QueueNames.SucceededExchange);
    }

    private static async Task EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Submit_NoDispatcherEverStarted_RefusesAndPublishesNothing()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("cli") } });
        var path = env.WriteBatch(5);

        await using var submitter = ProgramProcess.Start("Submitter", env.Variables, "submit", path);
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2));

        exit.ShouldBe(1, submitter.Output);
        submitter.Output.ShouldContain("start the dispatcher once");
        submitter.Output.ShouldNotContain("guest:");
    }
}
