using System.Text;
using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.AspNetCore.Http;
using RabbitMQ.Client;

namespace Integration.Tests.Pipeline;

/// <summary>
/// The provider key and the broker password are used by the running programs, and appear in
/// none of their outputs: logs, result files and messages, every queue (error queues, the
/// dead-letter queue), metrics, OTLP payloads and the ledger.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class SecretScanTests(RabbitNodeFixture rabbit)
{
    private const string KeyVariable = "IT_SECRET_SCAN_OPENAI_KEY";

    [Fact]
    public async Task Batch_OpenAiDeploymentWithKeyAndBrokerPassword_NeitherSecretAppearsAnywhere()
    {
        var apiKey = "sk-fake-" + Guid.NewGuid().ToString("N");
        var brokerPassword = "pw-fake-" + Guid.NewGuid().ToString("N");
        string[] secrets = [apiKey, brokerPassword];

        // A provider that echoes the key back in its error messages, as real ones have done.
        await using var provider = await LoopbackServer.StartAsync(AnswerAsProviderAsync(apiKey));
        await using var collector = await LoopbackServer.StartAsync();
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "it-openai",
                    ModelGroup = "gpt-test",
                    Provider = "OpenAI",
                    Model = "gpt-4o-mini",
                    BaseUrl = new Uri(provider.Address, "v1").ToString(),
                    ApiKeyVariable = KeyVariable,
                    MaxParallel = 4,
                    InputPricePerMillion = 1.0,
                    OutputPricePerMillion = 2.0,
                },
            },
            // A refused key takes the deployment out of rotation; briefly here, so the batch ends quickly.
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 2, Breaker = new { AuthenticationBreakSeconds = 1 } } },
        });
        var user = "it-user-" + Guid.NewGuid().ToString("N")[..8];
        await env.CreateUserAsync(user, brokerPassword);
        var variables = new Dictionary<string, string>(env.Variables)
        {
            [KeyVariable] = apiKey,
            ["DISPATCHER_Transport__RabbitMq__Username"] = user,
            ["RABBITMQ_PASSWORD"] = brokerPassword,
            ["DISPATCHER_Telemetry__OtlpEndpoint"] = collector.Address.ToString(),
            ["DISPATCHER_Telemetry__MetricExportInterval"] = "00:00:01",
            ["DISPATCHER_Telemetry__TraceExportDelay"] = "00:00:00.200",
            // Everything the programs can say goes to their output, so the scan sees it.
            ["DISPATCHER_Logging__LogLevel__Default"] = "Debug",
            ["DISPATCHER_Logging__LogLevel__MassTransit"] = "Debug",
        };

        // A queue of our own on both result exchanges, as any consumer would bind.
        var factory = env.ConnectionFactory();
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        const string ResultsQueue = "secret-scan-results";
        await channel.QueueDeclareAsync(ResultsQueue, durable: true, exclusive: false, autoDelete: false);
        foreach (var exchange in new[] { QueueNames.SucceededExchange, QueueNames.FailedExchange })
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync(ResultsQueue, exchange, "");
        }

        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        var dispatcherUrl = await dispatcher.ListeningUrlAsync();
        var workersUrl = await workers.ListeningUrlAsync();
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("it-openai"));

        // Something for the error queue too: a message the intake cannot read.
        await channel.BasicPublishAsync(
            "", QueueNames.Intake, mandatory: false, new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = Guid.NewGuid().ToString() }, "{ not json"u8.ToArray());

        var batch = Path.Combine(env.Folder, "batch.jsonl");
        File.WriteAllLines(batch, new[] { "ok-1", "ok-2", "ok-3", "ok-4", "ok-5", "ok-6", "auth-fail-1", "auth-fail-2", "bad-request-1" }.Select(id => JsonSerializer.Serialize(new
        {
            custom_id = id,
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = "gpt-test", messages = new[] { new { role = "user", content = id } }, max_tokens = 16 },
        })));
        var outDir = Path.Combine(env.Folder, "out");
        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", batch, "--wait", "--batch-id", "secret-batch", "--out", outDir, "--timeout", "00:02:00");
        await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var outputFiles = Directory.GetFiles(outDir);
        var diagnostics = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        outputFiles.Length.ShouldBe(2, diagnostics);
        File.ReadAllLines(Path.Combine(outDir, "secret-batch-output.jsonl")).Length.ShouldBe(6, diagnostics);
        File.ReadAllLines(Path.Combine(outDir, "secret-batch-errors.jsonl")).Length.ShouldBe(3, diagnostics);

        // The key was in use: every call carried it, and the provider's echo of it reached the adapter.
        provider.Received.Count(r => r.Path == "/v1/chat/completions").ShouldBeGreaterThanOrEqualTo(9);
        provider.Received.ShouldAllBe(r => r.Header("Authorization") == "Bearer " + apiKey);

        await WaitForAsync(() => Has(collector.BodiesOf("/v1/traces"), "worker.call") && Has(collector.BodiesOf("/v1/metrics"), "dispatcher.jobs.failed"), "OTLP exports");
        await WaitForAsync(async () => (await env.QueueNamesAsync()).Contains(QueueNames.Intake + "_error"), "the intake error queue");

        var places = new Dictionary<string, byte[]>
        {
            ["dispatcher output"] = Encoding.UTF8.GetBytes(dispatcher.Output),
            ["workers output"] = Encoding.UTF8.GetBytes(workers.Output),
            ["submitter output"] = Encoding.UTF8.GetBytes(submitter.Output),
            ["OTLP payloads"] = collector.Received.SelectMany(r => r.Body).ToArray(),
        };
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            places["dispatcher /metrics"] = await http.GetByteArrayAsync(new Uri(dispatcherUrl, "metrics"));
            places["workers /metrics"] = await http.GetByteArrayAsync(new Uri(workersUrl, "metrics"));
            places["dashboard page"] = await http.GetByteArrayAsync(new Uri(dispatcherUrl, "dashboard"));
            places["dashboard /api/status"] = await http.GetByteArrayAsync(new Uri(dispatcherUrl, "api/status"));
            places["dashboard /api/status/history"] = await http.GetByteArrayAsync(new Uri(dispatcherUrl, "api/status/history"));
        }

        foreach (var file in outputFiles.Concat(Directory.GetFiles(env.Folder, Path.GetFileName(env.LedgerPath) + "*")))
        {
            places[file] = await ReadSharedAsync(file);
        }

        places["result messages"] = await DrainAsync(channel, ResultsQueue);
        places["result messages"].Length.ShouldBeGreaterThan(0);
        // Every other queue too: error queues, the dead-letter queue, retry delay queues.
        foreach (var queue in (await env.QueueNamesAsync()).Where(q => q != ResultsQueue))
        {
            places["queue " + queue] = await DrainAsync(channel, queue);
        }

        places["queue " + QueueNames.Intake + "_error"].Length.ShouldBeGreaterThan(0);
        places["queue " + QueueNames.DeadLetters].Length.ShouldBeGreaterThan(0);
        places["dispatcher /metrics"].Length.ShouldBeGreaterThan(0);
        Encoding.UTF8.GetString(places["dashboard /api/status"]).ShouldContain("\"deployments\"");
        foreach (var (place, bytes) in places)
        {
            foreach (var secret in secrets)
            {
                Has(bytes, secret).ShouldBeFalse($"{(secret == apiKey ? "the API key" : "the broker password")} appears in {place}");
            }
        }
    }

    private static Func<LoopbackRequest, HttpResponse, Task> AnswerAsProviderAsync(string apiKey) => async (request, response) =>
    {
        var body = Encoding.UTF8.GetString(request.Body);
        response.ContentType = "application/json";
        response.Headers["x-request-id"] = "req-" + Guid.NewGuid().ToString("N");
        if (body.Contains("auth-fail", StringComparison.Ordinal))
        {
            response.StatusCode = 401;
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                error = new { message = $"Incorrect API key provided: {apiKey}. You can find your API key in your account.", type = "invalid_request_error", param = (string?)null, code = "invalid_api_key" },
            }));
        }
        else if (body.Contains("bad-request", StringComparison.Ordinal))
        {
            response.StatusCode = 400;
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                error = new { message = $"Invalid request sent with Authorization: Bearer {apiKey}", type = "invalid_request_error", param = "messages", code = (string?)null },
            }));
        }
        else
        {
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-" + Guid.NewGuid().ToString("N"),
                @object = "chat.completion",
                created = 1,
                model = "gpt-4o-mini",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "fine" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 5, completion_tokens = 1, total_tokens = 6 },
            }));
        }
    };

    // Every message of a queue, body and headers, as bytes.
    private static async Task<byte[]> DrainAsync(IChannel channel, string queue)
    {
        var all = new MemoryStream();
        for (var i = 0; i < 10_000; i++)
        {
            var delivery = await channel.BasicGetAsync(queue, autoAck: true);
            if (delivery is null)
            {
                break;
            }

            all.Write(delivery.Body.Span);
            foreach (var (name, value) in delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
            {
                all.Write(Encoding.UTF8.GetBytes(name + "=" + (value is byte[] b ? Encoding.UTF8.GetString(b) : value?.ToString())));
            }
        }

        return all.ToArray();
    }

    // The dispatcher still has the ledger open; read it without disturbing it.
    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static bool Has(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(200);
        }
    }
}
