using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Batches;
using Dispatcher.ResultFiles;
using Integration.Tests.Support;
using MassTransit;

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
