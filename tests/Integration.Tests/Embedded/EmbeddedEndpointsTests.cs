using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Batches;
using Dispatcher.ResultFiles;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.AspNetCore.Http;

namespace Integration.Tests.Embedded;

/// <summary>Batches that mix endpoints, end to end through the embedded pipeline.</summary>
public sealed class EmbeddedEndpointsTests
{
    private static object Deployment(string id, string group, string[] endpoints) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        Endpoints = endpoints,
        InputPricePerMillion = 1.0,
        OutputPricePerMillion = 2.0,
        Simulation = new { LatencyMs = 0, LatencySigma = 0.0, Seed = 1, EmbeddingDimensions = 32 },
    };

    private static readonly object Catalog = new
    {
        Deployments = new[]
        {
            Deployment("chat-1", "gpt-test", [Endpoints.ChatCompletions]),
            Deployment("chat-2", "gpt-test", [Endpoints.ChatCompletions]),
            Deployment("embed-1", "embed-test", [Endpoints.Embeddings]),
        },
    };

    [Fact]
    public async Task Batch_MixingChatAndEmbeddings_EveryLineAnsweredByItsEndpointWithTheProvidersBody()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog);
        var file = pipeline.Directory.File("mixed.jsonl");
        File.WriteAllLines(file, Enumerable.Range(1, 60).Select(i => i % 3 == 0
            ? JsonSerializer.Serialize(new { custom_id = $"emb-{i}", method = "POST", url = Endpoints.Embeddings, body = new { model = "embed-test", input = new[] { $"text {i}", "shared" } } })
            : JsonSerializer.Serialize(new { custom_id = $"chat-{i}", method = "POST", url = Endpoints.ChatCompletions, body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"q {i}" } }, max_tokens = 16 } })));
        (await BatchFileValidator.ValidateAsync(file, new BatchFileLimits(), CancellationToken.None)).Errors.ShouldBeEmpty();

        await new BatchPublisher(pipeline.Bus).PublishAsync(file, "mixed", 60, new BatchFileLimits(), null, default);
        var status = await pipeline.WaitForBatchAsync("mixed");
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("mixed", pipeline.Directory.File("out"), default);

        status.Succeeded.ShouldBe(60);
        var lines = File.ReadAllLines(files.OutputPath).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        lines.Count.ShouldBe(60);
        File.ReadAllLines(files.ErrorPath).ShouldBeEmpty();

        var embeddings = lines.Where(l => l.Key.StartsWith("emb-", StringComparison.Ordinal)).Select(l => l.Value.GetProperty("response").GetProperty("body")).ToList();
        embeddings.Count.ShouldBe(20);
        embeddings.ShouldAllBe(b => b.GetProperty("object").GetString() == "list" && b.GetProperty("data").GetArrayLength() == 2);
        embeddings.ShouldAllBe(b => b.GetProperty("data")[0].GetProperty("embedding").GetArrayLength() == 32);
        embeddings.Select(b => b.GetProperty("usage")).ShouldAllBe(u => u.GetProperty("prompt_tokens").GetInt32() > 0 && u.EnumerateObject().Count() == 2);
        // The same input gets the same vector in every job.
        embeddings.Select(b => b.GetProperty("data")[1].GetProperty("embedding").GetRawText()).Distinct().Count().ShouldBe(1);

        var chats = lines.Where(l => l.Key.StartsWith("chat-", StringComparison.Ordinal)).Select(l => l.Value.GetProperty("response").GetProperty("body")).ToList();
        chats.Count.ShouldBe(40);
        chats.ShouldAllBe(b => b.GetProperty("object").GetString() == "chat.completion");

        var shares = await pipeline.Ledger.GetDeploymentSharesAsync("mixed", default);
        shares.Single(s => s.DeploymentId == "embed-1").Succeeded.ShouldBe(20);
        var embedJobId = Guid.Parse(lines["emb-3"].GetProperty("id").GetString()!["batch_req_".Length..]).ToString();
        var embedJob = (await pipeline.Ledger.GetJobAsync(embedJobId, default)).ShouldNotBeNull();
        embedJob.Url.ShouldBe(Endpoints.Embeddings);
        embedJob.MaxTokens.ShouldBe(0);
        embedJob.CompletionTokens.ShouldBe(0);
    }

    [Fact]
    public async Task Batch_CompletionsResponsesAndModerations_EveryLineAnsweredByItsEndpointWithItsUsage()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                Deployment("text-1", "text-test", [Endpoints.Completions, Endpoints.Responses]),
                Deployment("mod-1", "omni-moderation-latest", [Endpoints.Moderations]),
            },
        });
        var file = pipeline.Directory.File("text.jsonl");
        File.WriteAllLines(file, Enumerable.Range(1, 30).Select(i => (i % 3) switch
        {
            0 => JsonSerializer.Serialize(new { custom_id = $"cmpl-{i}", method = "POST", url = Endpoints.Completions, body = new { model = "text-test", prompt = $"Once upon a time {i}", max_tokens = 16 } }),
            1 => JsonSerializer.Serialize(new { custom_id = $"resp-{i}", method = "POST", url = Endpoints.Responses, body = new { model = "text-test", input = $"Say hello {i}", instructions = "Be brief.", max_output_tokens = 16 } }),
            _ => JsonSerializer.Serialize(new { custom_id = $"mod-{i}", method = "POST", url = Endpoints.Moderations, body = new { input = new[] { $"text {i}", "shared" } } }),
        }));
        (await BatchFileValidator.ValidateAsync(file, new BatchFileLimits(), CancellationToken.None)).Errors.ShouldBeEmpty();

        await new BatchPublisher(pipeline.Bus).PublishAsync(file, "text", 30, new BatchFileLimits(), null, default);
        var status = await pipeline.WaitForBatchAsync("text");
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("text", pipeline.Directory.File("out"), default);

        status.Succeeded.ShouldBe(30);
        File.ReadAllLines(files.ErrorPath).ShouldBeEmpty();
        var lines = File.ReadAllLines(files.OutputPath).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        lines.Count.ShouldBe(30);
        foreach (var (customId, line) in lines)
        {
            var body = line.GetProperty("response").GetProperty("body");
            var job = (await pipeline.Ledger.GetJobAsync(JobIdOf(line), default)).ShouldNotBeNull();
            switch (customId[..customId.IndexOf('-', StringComparison.Ordinal)])
            {
                case "cmpl":
                    body.GetProperty("object").GetString().ShouldBe("text_completion");
                    body.GetProperty("choices")[0].GetProperty("text").GetString().ShouldNotBeNullOrEmpty();
                    body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64().ShouldBe(job.PromptTokens!.Value);
                    body.GetProperty("usage").GetProperty("completion_tokens").GetInt64().ShouldBe(job.CompletionTokens!.Value);
                    job.CompletionTokens.Value.ShouldBeGreaterThan(0);
                    job.DeploymentId.ShouldBe("text-1");
                    break;
                case "resp":
                    body.GetProperty("object").GetString().ShouldBe("response");
                    body.GetProperty("output")[0].GetProperty("content")[0].GetProperty("type").GetString().ShouldBe("output_text");
                    body.GetProperty("usage").GetProperty("input_tokens").GetInt64().ShouldBe(job.PromptTokens!.Value);
                    body.GetProperty("usage").GetProperty("output_tokens").GetInt64().ShouldBe(job.CompletionTokens!.Value);
                    job.CompletionTokens.Value.ShouldBeGreaterThan(0);
                    job.DeploymentId.ShouldBe("text-1");
                    break;
                default:
                    body.GetProperty("id").GetString()!.ShouldStartWith("modr-");
                    body.GetProperty("results").GetArrayLength().ShouldBe(2);
                    body.GetProperty("results")[0].GetProperty("flagged").GetBoolean().ShouldBeFalse();
                    body.TryGetProperty("usage", out _).ShouldBeFalse("moderations report no usage, as OpenAI's");
                    job.CompletionTokens.ShouldBeNull("no usage was reported: the attempt is settled at its estimate");
                    job.DeploymentId.ShouldBe("mod-1");
                    break;
            }
        }
    }

    [Fact]
    public async Task Batch_EveryEndpointOnAnOpenAiDeployment_CarriedByTheSdkToTheServerAndItsBodyKeptUnchanged()
    {
        const string keyVariable = "EMBEDDED_ENDPOINTS_LOOPBACK_KEY";
        const string key = "sk-loopback-endpoints-0123456789";
        Environment.SetEnvironmentVariable(keyVariable, key);
        // What an OpenAI server answers on each endpoint's path, usage as each endpoint reports it.
        var answers = new Dictionary<string, string>
        {
            ["/v1/chat/completions"] = """{"id":"chatcmpl-lb","object":"chat.completion","created":1900000000,"model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18},"x_loopback":"chat"}""",
            ["/v1/embeddings"] = """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]}],"model":"gpt-test","usage":{"prompt_tokens":5,"total_tokens":5},"x_loopback":"embeddings"}""",
            ["/v1/completions"] = """{"id":"cmpl-lb","object":"text_completion","created":1900000000,"model":"gpt-test","choices":[{"index":0,"text":"there was","finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13},"x_loopback":"completions"}""",
            ["/v1/responses"] = """{"id":"resp_lb","object":"response","created_at":1900000000,"status":"completed","model":"gpt-test","output":[{"type":"message","id":"msg_lb","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"usage":{"input_tokens":13,"output_tokens":6,"total_tokens":19},"x_loopback":"responses"}""",
            ["/v1/moderations"] = """{"id":"modr-lb","model":"omni-moderation-latest","results":[{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.001}}],"x_loopback":"moderations"}""",
        };
        await using var server = await LoopbackServer.StartAsync(async (request, response) =>
        {
            response.StatusCode = answers.ContainsKey(request.Path) ? 200 : 404;
            response.ContentType = "application/json";
            await response.WriteAsync(answers.GetValueOrDefault(request.Path, """{"error":{"message":"no such path"}}"""));
        });
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "openai-lb", ModelGroup = "gpt-test", Provider = "OpenAI", BaseUrl = new Uri(server.Address, "v1"), ApiKeyVariable = keyVariable,
                    Endpoints = Endpoints.All, MaxParallel = 4, Rpm = 100_000, Tpm = 100_000_000,
                },
            },
        });
        var bodies = new Dictionary<string, object>
        {
            [Endpoints.ChatCompletions] = new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 16 },
            [Endpoints.Embeddings] = new { model = "gpt-test", input = "some text" },
            [Endpoints.Completions] = new { model = "gpt-test", prompt = "Once upon a time", max_tokens = 16 },
            [Endpoints.Responses] = new { model = "gpt-test", input = "Say hi", instructions = "Be brief.", max_output_tokens = 16 },
            [Endpoints.Moderations] = new { model = "gpt-test", input = "some text" },
        };
        var file = pipeline.Directory.File("openai.jsonl");
        File.WriteAllLines(file, bodies.Select(b => JsonSerializer.Serialize(new { custom_id = "line" + b.Key.Replace('/', '-'), method = "POST", url = b.Key, body = b.Value })));

        await new BatchPublisher(pipeline.Bus).PublishAsync(file, "openai", bodies.Count, new BatchFileLimits(), null, default);
        var status = await pipeline.WaitForBatchAsync("openai");
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("openai", pipeline.Directory.File("out"), default);

        status.Succeeded.ShouldBe(5, File.Exists(files.ErrorPath) ? File.ReadAllText(files.ErrorPath) : "");
        var lines = File.ReadAllLines(files.OutputPath).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        var expectedUsage = new Dictionary<string, (long Prompt, long Completion)>
        {
            [Endpoints.ChatCompletions] = (11, 7),
            [Endpoints.Embeddings] = (5, 0),
            [Endpoints.Completions] = (9, 4),
            [Endpoints.Responses] = (13, 6),
        };
        foreach (var url in bodies.Keys)
        {
            var line = lines["line" + url.Replace('/', '-')];
            line.GetProperty("response").GetProperty("body").GetRawText().ShouldBe(answers[url], $"the body of {url} as the server sent it");
            var received = server.Received.Where(r => r.Path == url).ShouldHaveSingleItem($"one call on {url}");
            received.Header("Authorization").ShouldBe("Bearer " + key);
            JsonDocument.Parse(received.Body).RootElement.GetProperty("model").GetString().ShouldBe("gpt-test");
            if (expectedUsage.TryGetValue(url, out var usage))
            {
                var job = (await pipeline.Ledger.GetJobAsync(JobIdOf(line), default)).ShouldNotBeNull();
                (job.PromptTokens, job.CompletionTokens).ShouldBe((usage.Prompt, usage.Completion), url);
            }
        }
    }

    private static string JobIdOf(JsonElement outputLine) => Guid.Parse(outputLine.GetProperty("id").GetString()!["batch_req_".Length..]).ToString();

    [Fact]
    public async Task SubmitCompletion_UrlNoDeploymentOfItsGroupServes_EndsFailedNamingTheUrl()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));

        await intake.Send(new SubmitCompletion("vec-1", "gpt-test", JsonSerializer.SerializeToElement(new { model = "gpt-test", input = "hi" }), Url: Endpoints.Embeddings));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        var failed = recorder.Failed.Single();
        failed.Error.ShouldBe(ErrorKind.NoDeployment);
        failed.Message.ShouldBe("job vec-1, field url: no deployment of model group 'gpt-test' serves /v1/embeddings; its deployments serve /v1/chat/completions");
        (await pipeline.AttemptKindsAsync()).ShouldBeEmpty();
    }
}
