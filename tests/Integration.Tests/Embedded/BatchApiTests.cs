using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

// BatchClient is marked experimental in the SDK (OPENAI001); it is what users call, so it is what is tested.
#pragma warning disable OPENAI001

namespace Integration.Tests.Embedded;

// The OpenAI-compatible Batch API, driven by the official OpenAI .NET SDK pointed at a running
// dispatcher on loopback (workers and simulated providers in the same process).
public sealed class BatchApiTests
{
    private const string KeyVariable = "BATCH_API_TEST_KEY";
    private const string Key = "sk-batch-api-test-0123456789abcdef";

    private static object Catalog(double latencyMs = 0, int maxParallel = 8) => new
    {
        Deployments = new object[]
        {
            EmbeddedPipeline.Simulated("east", latencyMs: latencyMs, maxParallel: maxParallel),
            EmbeddedPipeline.Simulated("west", latencyMs: latencyMs, maxParallel: maxParallel),
            new
            {
                Id = "chat-only-1", ModelGroup = "chat-only", Provider = "Simulated", MaxParallel = 4,
                Endpoints = new[] { "/v1/chat/completions" },
                Simulation = new { LatencyMs = 0, LatencySigma = 0.0, Seed = 1 },
            },
        },
    };

    private static Task<MonitoredPipeline> StartAsync(object? catalog = null)
    {
        Environment.SetEnvironmentVariable(KeyVariable, Key);
        return MonitoredPipeline.StartAsync(catalog ?? Catalog(), new Dictionary<string, string?> { ["BatchApi:KeyVariable"] = KeyVariable });
    }

    private static OpenAIClient Client(MonitoredPipeline pipeline, string key = Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(pipeline.BaseAddress, "v1") });

    private static string ChatLine(string customId, string model = "gpt-test") => JsonSerializer.Serialize(new
    {
        custom_id = customId,
        method = "POST",
        url = "/v1/chat/completions",
        body = new { model, messages = new[] { new { role = "user", content = "hello " + customId } }, max_tokens = 16 },
    });

    private static BinaryData Jsonl(IEnumerable<string> lines) => BinaryData.FromString(string.Join('\n', lines) + "\n");

    private static BinaryContent CreateBody(string fileId, object? metadata = null) =>
        BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h", metadata }));

    private static JsonElement Json(ClientResult result) => JsonDocument.Parse(result.GetRawResponse().Content).RootElement.Clone();

    private static async Task<JsonElement> PollAsync(BatchClient batches, string batchId, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var batch = Json(await batches.GetBatchAsync(batchId, new RequestOptions()));
            if (done(batch))
            {
                return batch;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"batch {batchId} did not get there: {batch}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task UploadCreatePollDownload_ThroughTheSdk_CompletesWithOutputAndErrorFiles()
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        var files = client.GetOpenAIFileClient();
        var batches = client.GetBatchClient();

        // 30 lines for the catalog's group, 2 for a group no deployment holds: those end failed.
        var lines = Enumerable.Range(1, 30).Select(i => ChatLine($"req-{i}")).Append(ChatLine("lost-1", "no-such-group")).Append(ChatLine("lost-2", "no-such-group"));
        OpenAIFile input = await files.UploadFileAsync(Jsonl(lines), "input.jsonl", FileUploadPurpose.Batch);
        input.Id.ShouldStartWith("file-");
        input.Filename.ShouldBe("input.jsonl");
        ((OpenAIFile)await files.GetFileAsync(input.Id)).SizeInBytes.ShouldBe(Jsonl(lines).ToArray().Length);

        var operation = await batches.CreateBatchAsync(CreateBody(input.Id, new Dictionary<string, string> { ["owner"] = "tests" }), waitUntilCompleted: false);
        var created = Json(operation.GetRawResponse() is { } raw ? ClientResult.FromResponse(raw) : throw new InvalidOperationException());
        created.GetProperty("object").GetString().ShouldBe("batch");
        created.GetProperty("input_file_id").GetString().ShouldBe(input.Id);
        created.GetProperty("endpoint").GetString().ShouldBe("/v1/chat/completions");
        created.GetProperty("completion_window").GetString().ShouldBe("24h");
        created.GetProperty("metadata").GetProperty("owner").GetString().ShouldBe("tests");
        created.GetProperty("created_at").GetInt64().ShouldBeGreaterThan(0);

        var batch = await PollAsync(batches, operation.BatchId, b => b.GetProperty("status").GetString() == "completed");
        var counts = batch.GetProperty("request_counts");
        counts.GetProperty("total").GetInt64().ShouldBe(32);
        counts.GetProperty("completed").GetInt64().ShouldBe(30);
        counts.GetProperty("failed").GetInt64().ShouldBe(2);
        batch.GetProperty("errors").ValueKind.ShouldBe(JsonValueKind.Null);
        batch.GetProperty("completed_at").GetInt64().ShouldBeGreaterThanOrEqualTo(batch.GetProperty("created_at").GetInt64());
        batch.GetProperty("in_progress_at").ValueKind.ShouldBe(JsonValueKind.Number);
        batch.GetProperty("expires_at").ValueKind.ShouldBe(JsonValueKind.Number);

        // Both simulated deployments of the group served it.
        (await pipeline.Ledger.GetDeploymentSharesAsync(operation.BatchId, default)).Select(s => s.DeploymentId).ShouldContain("east");

        var output = (await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        output.Count.ShouldBe(30);
        output.Select(l => l.GetProperty("custom_id").GetString()).ShouldBe(Enumerable.Range(1, 30).Select(i => $"req-{i}"), ignoreOrder: true);
        output.ShouldAllBe(l => l.GetProperty("response").GetProperty("status_code").GetInt32() == 200);

        var errors = (await files.DownloadFileAsync(batch.GetProperty("error_file_id").GetString()!)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        errors.Select(l => l.GetProperty("custom_id").GetString()).ShouldBe(["lost-1", "lost-2"], ignoreOrder: true);
        errors.ShouldAllBe(l => l.GetProperty("error").GetProperty("code").GetString()!.Length > 0);

        // The output file is a file like any other: listed, retrievable, deletable.
        OpenAIFileCollection all = await files.GetFilesAsync();
        all.Select(f => f.Id).ShouldContain(batch.GetProperty("output_file_id").GetString());
        all.Select(f => f.Id).ShouldContain(input.Id);
        FileDeletionResult deleted = await files.DeleteFileAsync(input.Id);
        deleted.Deleted.ShouldBeTrue();
        var gone = await Should.ThrowAsync<ClientResultException>(() => files.GetFileAsync(input.Id));
        gone.Status.ShouldBe(404);

        // The batch is in the list, with every batch of the ledger.
        var listed = new List<string>();
        await foreach (var page in batches.GetBatchesAsync(after: null, limit: 10, options: new RequestOptions()).GetRawPagesAsync())
        {
            var body = Json(page);
            body.GetProperty("object").GetString().ShouldBe("list");
            listed.AddRange(body.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
        }

        listed.ShouldContain(operation.BatchId);
    }

    [Fact]
    public async Task MixedChatAndEmbeddingsFile_ThroughTheSdk_CompletesAndBothFilesHoldEveryLine()
    {
        // gpt-test answers chat and embeddings; every call to the group "broken" fails, and it
        // gives a job one attempt, so its lines end in the error file, as does the line of a
        // group no deployment holds.
        await using var pipeline = await StartAsync(new
        {
            Deployments = new object[]
            {
                EmbeddedPipeline.Simulated("east"),
                EmbeddedPipeline.Simulated("west"),
                EmbeddedPipeline.Simulated("broken-1", group: "broken", errorRate: 1.0),
            },
            ModelGroups = new[] { new { Name = "broken", MaxAttempts = 1 } },
        });
        var client = Client(pipeline);
        var files = client.GetOpenAIFileClient();
        var batches = client.GetBatchClient();
        static string EmbeddingLine(string customId, string model = "gpt-test") => JsonSerializer.Serialize(new
        {
            custom_id = customId, method = "POST", url = "/v1/embeddings", body = new { model, input = new[] { "text " + customId, "shared" } },
        });
        var chats = Enumerable.Range(1, 20).Select(i => $"chat-{i}").ToList();
        var embeddings = Enumerable.Range(1, 10).Select(i => $"emb-{i}").ToList();
        var failing = new[] { "broken-chat-1", "broken-chat-2", "broken-emb-1", "lost-emb-1" };
        var lines = chats.Select(id => ChatLine(id)).Concat(embeddings.Select(id => EmbeddingLine(id)))
            .Append(ChatLine("broken-chat-1", "broken")).Append(ChatLine("broken-chat-2", "broken"))
            .Append(EmbeddingLine("broken-emb-1", "broken")).Append(EmbeddingLine("lost-emb-1", "no-such-group"));
        OpenAIFile input = await files.UploadFileAsync(Jsonl(lines), "mixed.jsonl", FileUploadPurpose.Batch);

        var operation = await batches.CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);
        var batch = await PollAsync(batches, operation.BatchId, b => b.GetProperty("status").GetString() == "completed");

        var counts = batch.GetProperty("request_counts");
        counts.GetProperty("total").GetInt64().ShouldBe(34);
        counts.GetProperty("completed").GetInt64().ShouldBe(30);
        counts.GetProperty("failed").GetInt64().ShouldBe(4);
        var output = (await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        output.Keys.ShouldBe(chats.Concat(embeddings), ignoreOrder: true);
        output.Values.ShouldAllBe(l => l.GetProperty("response").GetProperty("status_code").GetInt32() == 200 && l.GetProperty("error").ValueKind == JsonValueKind.Null);
        foreach (var id in chats)
        {
            var body = output[id].GetProperty("response").GetProperty("body");
            body.GetProperty("object").GetString().ShouldBe("chat.completion");
            body.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString().ShouldBe("assistant");
            body.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBeGreaterThan(0);
        }

        foreach (var id in embeddings)
        {
            var body = output[id].GetProperty("response").GetProperty("body");
            body.GetProperty("object").GetString().ShouldBe("list");
            body.GetProperty("data").GetArrayLength().ShouldBe(2);
            body.GetProperty("data")[0].GetProperty("object").GetString().ShouldBe("embedding");
            body.GetProperty("data")[0].GetProperty("embedding").GetArrayLength().ShouldBe(256);
            body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32().ShouldBeGreaterThan(0);
            body.GetProperty("usage").TryGetProperty("completion_tokens", out _).ShouldBeFalse("embeddings have only prompt tokens");
        }

        var errors = (await files.DownloadFileAsync(batch.GetProperty("error_file_id").GetString()!)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        errors.Keys.ShouldBe(failing, ignoreOrder: true);
        errors.Values.ShouldAllBe(l => l.GetProperty("error").GetProperty("message").GetString()!.Length > 0);
        errors["lost-emb-1"].GetProperty("error").GetProperty("code").GetString().ShouldBe("no_deployment");
        foreach (var id in failing.SkipLast(1))
        {
            errors[id].GetProperty("error").GetProperty("code").GetString().ShouldNotBe("no_deployment", errors[id].GetRawText());
        }
    }

    [Fact]
    public async Task Upload_InvalidLines_RefusedWithTheBatchApiErrorNamingTheLine()
    {
        await using var pipeline = await StartAsync();
        var files = Client(pipeline).GetOpenAIFileClient();
        var lines = new[] { ChatLine("a"), ChatLine("a"), "{not json" };

        var refused = await Should.ThrowAsync<ClientResultException>(() => files.UploadFileAsync(Jsonl(lines), "bad.jsonl", FileUploadPurpose.Batch));

        refused.Status.ShouldBe(400);
        var error = JsonDocument.Parse(refused.GetRawResponse()!.Content).RootElement.GetProperty("error");
        error.GetProperty("type").GetString().ShouldBe("invalid_request_error");
        error.GetProperty("code").GetString().ShouldBe("invalid_batch_file");
        error.GetProperty("param").GetString().ShouldBe("file");
        error.GetProperty("message").GetString()!.ShouldContain("line 2, field custom_id: duplicate of line 1");
        error.GetProperty("message").GetString()!.ShouldContain("line 3");
        (await files.GetFilesAsync()).Value.ShouldBeEmpty();
    }

    [Fact]
    public async Task Create_FileTheCatalogCannotServe_BatchFailedWithErrorsNamingTheLine()
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        var embeddings = JsonSerializer.Serialize(new { custom_id = "e-1", method = "POST", url = "/v1/embeddings", body = new { model = "chat-only", input = "text" } });
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl([ChatLine("c-1", "chat-only"), embeddings]), "mixed.jsonl", FileUploadPurpose.Batch);

        var operation = await client.GetBatchClient().CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);

        var batch = Json(await client.GetBatchClient().GetBatchAsync(operation.BatchId, new RequestOptions()));
        batch.GetProperty("status").GetString().ShouldBe("failed");
        batch.GetProperty("failed_at").GetInt64().ShouldBeGreaterThan(0);
        var error = batch.GetProperty("errors").GetProperty("data").EnumerateArray().Single();
        error.GetProperty("line").GetInt32().ShouldBe(2);
        error.GetProperty("param").GetString().ShouldBe("url");
        error.GetProperty("message").GetString()!.ShouldContain("/v1/embeddings");
        batch.GetProperty("request_counts").GetProperty("total").GetInt64().ShouldBe(0);
        batch.GetProperty("output_file_id").ValueKind.ShouldBe(JsonValueKind.Null);
        var recorded = await pipeline.Ledger.GetBatchStatusAsync(operation.BatchId, default);
        recorded.ShouldNotBeNull();
        recorded.State.ShouldBe("failed");
        (recorded.Queued + recorded.Dispatched + recorded.Finished).ShouldBe(0, "nothing of a rejected file is published");

        // Listed as OpenAI lists it: failed, with its errors.
        var page = Json(await client.GetBatchClient().GetBatchesAsync(after: null, limit: 10, options: new RequestOptions()).GetRawPagesAsync().FirstAsync());
        var listed = page.GetProperty("data").EnumerateArray().Single(b => b.GetProperty("id").GetString() == operation.BatchId);
        listed.GetProperty("status").GetString().ShouldBe("failed");
        listed.GetProperty("errors").GetProperty("data")[0].GetProperty("line").GetInt32().ShouldBe(2);

        // No command applies to it.
        var cancel = await Should.ThrowAsync<ClientResultException>(() => operation.CancelAsync(new RequestOptions()));
        cancel.Status.ShouldBe(409);
    }

    [Fact]
    public async Task Get_BatchSubmittedOverTheBusWithMetadata_ShowsItsMetadata()
    {
        await using var pipeline = await StartAsync();
        var path = pipeline.Directory.File("bus.jsonl");
        await File.WriteAllTextAsync(path, Jsonl([ChatLine("b-1"), ChatLine("b-2")]).ToString());
        var bus = pipeline.Services.GetRequiredService<MassTransit.IBus>();
        await new Dispatcher.Batches.BatchPublisher(bus).PublishAsync(
            path, "batch-from-bus", 2, new Dispatcher.Batches.BatchFileLimits(), null, default, metadata: new Dictionary<string, string> { ["team"] = "search" });
        await pipeline.WaitForBatchAsync("batch-from-bus");
        var batches = Client(pipeline).GetBatchClient();

        var batch = Json(await batches.GetBatchAsync("batch-from-bus", new RequestOptions()));

        batch.GetProperty("metadata").GetProperty("team").GetString().ShouldBe("search");
        var listed = Json(await batches.GetBatchesAsync(after: null, limit: 10, options: new RequestOptions()).GetRawPagesAsync().FirstAsync());
        listed.GetProperty("data").EnumerateArray().Single(b => b.GetProperty("id").GetString() == "batch-from-bus")
            .GetProperty("metadata").GetProperty("team").GetString().ShouldBe("search");
    }

    [Fact]
    public async Task Create_WithMetadata_KeptInTheLedgerWithTheBatch()
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl([ChatLine("m-1")]), "m.jsonl", FileUploadPurpose.Batch);

        var operation = await client.GetBatchClient().CreateBatchAsync(CreateBody(input.Id, new Dictionary<string, string> { ["owner"] = "tests" }), waitUntilCompleted: false);

        (await pipeline.Ledger.GetBatchStatusAsync(operation.BatchId, default))!.Metadata!["owner"].ShouldBe("tests");
    }

    [Theory]
    [InlineData(17, 1, 1, "at most 16 key-value pairs, got 17")]
    [InlineData(1, 65, 1, "is 65 characters, at most 64 are allowed")]
    [InlineData(1, 1, 513, "is 513 characters, at most 512 are allowed")]
    public async Task Create_MetadataPastTheLimits_400NamingMetadata(int pairs, int keyLength, int valueLength, string expected)
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl([ChatLine("m-1")]), "m.jsonl", FileUploadPurpose.Batch);
        var metadata = Enumerable.Range(1, pairs).ToDictionary(i => i + new string('k', keyLength - 1), _ => new string('v', valueLength));

        var refused = await Should.ThrowAsync<ClientResultException>(() => client.GetBatchClient().CreateBatchAsync(CreateBody(input.Id, metadata), waitUntilCompleted: false));

        refused.Status.ShouldBe(400);
        var error = JsonDocument.Parse(refused.GetRawResponse()!.Content).RootElement.GetProperty("error");
        error.GetProperty("param").GetString().ShouldBe("metadata");
        error.GetProperty("message").GetString()!.ShouldContain(expected);
        (await pipeline.Ledger.ListBatchesAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Create_WithTenantAndPriority_EveryJobOfTheBatchCarriesThem()
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl(Enumerable.Range(1, 12).Select(i => ChatLine($"t-{i}"))), "t.jsonl", FileUploadPurpose.Batch);
        var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            input_file_id = input.Id, endpoint = "/v1/chat/completions", completion_window = "24h", tenant = "team-a", priority = 7,
        }));

        var operation = await client.GetBatchClient().CreateBatchAsync(body, waitUntilCompleted: false);

        await PollAsync(client.GetBatchClient(), operation.BatchId, b => b.GetProperty("status").GetString() == "completed");
        RunLedger.JobIds(pipeline.LedgerPath, $"batch_id = '{operation.BatchId}' AND tenant = 'team-a' AND priority = 7").Count.ShouldBe(12);
    }

    [Theory]
    [InlineData("tenant", "5", "'tenant' must be a string")]
    [InlineData("tenant", "\"  \"", "'tenant' must not be blank")]
    [InlineData("priority", "\"high\"", "'priority' must be an integer from -1000 to 1000")]
    [InlineData("priority", "1001", "got 1001")]
    [InlineData("priority", "2.5", "got 2.5")]
    public async Task Create_TenantOrPriorityBad_400NamingTheParamAndNothingPublished(string field, string json, string expected)
    {
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl([ChatLine("b-1")]), "b.jsonl", FileUploadPurpose.Batch);
        var body = $"{{\"input_file_id\": \"{input.Id}\", \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\", \"{field}\": {json}}}";

        var refused = await Should.ThrowAsync<ClientResultException>(() => client.GetBatchClient().CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(body)), waitUntilCompleted: false));

        refused.Status.ShouldBe(400);
        var error = JsonDocument.Parse(refused.GetRawResponse()!.Content).RootElement.GetProperty("error");
        error.GetProperty("param").GetString().ShouldBe(field);
        error.GetProperty("message").GetString()!.ShouldContain(expected);
        (await pipeline.Ledger.ListBatchesAsync(10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task CancelPauseResume_ThroughTheApi_TheBatchFollows()
    {
        await using var pipeline = await StartAsync(Catalog(latencyMs: 50, maxParallel: 1));
        var client = Client(pipeline);
        var batches = client.GetBatchClient();
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl(Enumerable.Range(1, 200).Select(i => ChatLine($"r-{i}"))), "slow.jsonl", FileUploadPurpose.Batch);
        var paused = await batches.CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);
        var cancelled = await batches.CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        var pause = await http.PostAsync($"v1/batches/{paused.BatchId}/pause", null);
        pause.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await pause.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString().ShouldBe("paused");

        await cancelled.CancelAsync(new RequestOptions());
        var ended = await PollAsync(batches, cancelled.BatchId, b => b.GetProperty("status").GetString() == "cancelled");
        ended.GetProperty("cancelling_at").ValueKind.ShouldBe(JsonValueKind.Number);
        ended.GetProperty("cancelled_at").ValueKind.ShouldBe(JsonValueKind.Number);
        ended.GetProperty("request_counts").GetProperty("failed").GetInt64().ShouldBeGreaterThan(0);
        ended.GetProperty("error_file_id").GetString()!.ShouldStartWith("file-");

        var resume = await http.PostAsync($"v1/batches/{paused.BatchId}/resume", null);
        resume.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await resume.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString().ShouldNotBe("paused");
        var cancelPaused = await http.PostAsync($"v1/batches/{paused.BatchId}/cancel", null);
        cancelPaused.StatusCode.ShouldBe(HttpStatusCode.OK);
        await PollAsync(batches, paused.BatchId, b => b.GetProperty("status").GetString() == "cancelled");

        var again = await http.PostAsync($"v1/batches/{paused.BatchId}/pause", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("invalid_batch_state");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancel_WithAReasonInTheBodyOrTheQuery_KeptWithTheBatchAndInTheCancelledJobsErrors(bool inBody)
    {
        // More lines than the group's two deployments may start within a minute (600 requests a
        // minute each): the rest wait for quota, and the cancel ends them.
        await using var pipeline = await StartAsync();
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl(Enumerable.Range(1, 1500).Select(i => ChatLine($"r-{i}"))), "paced.jsonl", FileUploadPurpose.Batch);
        var operation = await client.GetBatchClient().CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var cancel = inBody
            ? await http.PostAsync($"v1/batches/{operation.BatchId}/cancel", new StringContent("""{"reason": "wrong prompt"}""", System.Text.Encoding.UTF8, "application/json"))
            : await http.PostAsync($"v1/batches/{operation.BatchId}/cancel?reason=wrong%20prompt", null);

        cancel.StatusCode.ShouldBe(HttpStatusCode.OK, await cancel.Content.ReadAsStringAsync());
        var ended = await PollAsync(client.GetBatchClient(), operation.BatchId, b => b.GetProperty("status").GetString() == "cancelled");
        (await pipeline.Ledger.GetBatchStatusAsync(operation.BatchId, default))!.ControlReason.ShouldBe("wrong prompt");
        ended.GetProperty("error_file_id").ValueKind.ShouldBe(JsonValueKind.String, ended.ToString());
        var errors = (await client.GetOpenAIFileClient().DownloadFileAsync(ended.GetProperty("error_file_id").GetString()!)).Value.ToString();
        errors.ShouldContain("wrong prompt");
    }

    [Fact]
    public async Task Cancel_BodyNotJson_400NamingReasonAndNothingCancelled()
    {
        await using var pipeline = await StartAsync(Catalog(latencyMs: 50, maxParallel: 1));
        var client = Client(pipeline);
        OpenAIFile input = await client.GetOpenAIFileClient().UploadFileAsync(Jsonl(Enumerable.Range(1, 20).Select(i => ChatLine($"r-{i}"))), "slow.jsonl", FileUploadPurpose.Batch);
        var operation = await client.GetBatchClient().CreateBatchAsync(CreateBody(input.Id), waitUntilCompleted: false);
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var cancel = await http.PostAsync($"v1/batches/{operation.BatchId}/cancel", new StringContent("wrong prompt", System.Text.Encoding.UTF8, "text/plain"));

        cancel.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString().ShouldBe("reason");
        (await pipeline.Ledger.GetBatchStatusAsync(operation.BatchId, default))!.Control.ShouldBeNull();
    }

    private static MultipartFormDataContent UploadForm(string? anchor, string? seconds)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Jsonl([ChatLine("x-1")]).ToArray()), "file", "expiring.jsonl" },
        };
        if (anchor is not null)
        {
            form.Add(new StringContent(anchor), "expires_after[anchor]");
        }

        if (seconds is not null)
        {
            form.Add(new StringContent(seconds), "expires_after[seconds]");
        }

        return form;
    }

    [Fact]
    public async Task Upload_ExpiresAfter_FileObjectSaysWhenItExpires()
    {
        await using var pipeline = await StartAsync();
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var response = await http.PostAsync("v1/files", UploadForm("created_at", "7200"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var file = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        file.GetProperty("expires_at").GetInt64().ShouldBe(file.GetProperty("created_at").GetInt64() + 7200);
        OpenAIFile read = await Client(pipeline).GetOpenAIFileClient().GetFileAsync(file.GetProperty("id").GetString()!);
        read.ExpiresAt.ShouldNotBeNull();
        read.ExpiresAt.Value.ToUnixTimeSeconds().ShouldBe(file.GetProperty("expires_at").GetInt64());

        // Without expires_after a file is kept until deleted.
        OpenAIFile kept = await Client(pipeline).GetOpenAIFileClient().UploadFileAsync(Jsonl([ChatLine("k-1")]), "kept.jsonl", FileUploadPurpose.Batch);
        kept.ExpiresAt.ShouldBeNull();
    }

    [Theory]
    [InlineData("created_at", "60", "expires_after[seconds]")]
    [InlineData("created_at", "2592001", "expires_after[seconds]")]
    [InlineData("last_active_at", "3600", "expires_after[anchor]")]
    public async Task Upload_ExpiresAfterOutOfRange_400NamingTheFieldAndNoFileKept(string anchor, string seconds, string field)
    {
        await using var pipeline = await StartAsync();
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var response = await http.PostAsync("v1/files", UploadForm(anchor, seconds));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        error.GetProperty("param").GetString().ShouldBe(field);
        error.GetProperty("type").GetString().ShouldBe("invalid_request_error");
        error.GetProperty("message").GetString()!.ShouldContain(field);
        (await Client(pipeline).GetOpenAIFileClient().GetFilesAsync()).Value.ShouldBeEmpty();
    }

    [Fact]
    public async Task Get_FileWhoseTimeHasPassed_404InTheApiErrorShapeAndNotListed()
    {
        await using var pipeline = await StartAsync();
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var uploaded = await http.PostAsync("v1/files", UploadForm("created_at", "3600"));
        var id = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        // An hour later, as its record says: the file's expiry moved into the past.
        var record = Path.Combine(Path.GetDirectoryName(pipeline.LedgerPath)!, "files", id + ".json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(record))!;
        node["expires_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
        await File.WriteAllTextAsync(record, node.ToJsonString());

        foreach (var path in new[] { $"v1/files/{id}", $"v1/files/{id}/content" })
        {
            using var response = await http.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            error.GetProperty("type").GetString().ShouldBe("invalid_request_error");
            error.GetProperty("code").GetString().ShouldBe("not_found");
        }

        (await Client(pipeline).GetOpenAIFileClient().GetFilesAsync()).Value.ShouldBeEmpty();
        var refused = await Should.ThrowAsync<ClientResultException>(() => Client(pipeline).GetBatchClient().CreateBatchAsync(CreateBody(id), waitUntilCompleted: false));
        refused.Status.ShouldBe(400);
    }

    [Fact]
    public async Task AnyCall_KeyVariableUnsetOnTheDispatcher_Is401NamingTheVariable()
    {
        const string unset = "BATCH_API_TEST_UNSET_KEY";
        Environment.SetEnvironmentVariable(unset, null);
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog(), new Dictionary<string, string?> { ["BatchApi:KeyVariable"] = unset });
        var refused = await Should.ThrowAsync<ClientResultException>(() => Client(pipeline, "sk-anything").GetOpenAIFileClient().GetFilesAsync());
        refused.Status.ShouldBe(401);

        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        foreach (var (method, path) in new[] { ("GET", "v1/files"), ("POST", "v1/files"), ("GET", "v1/files/file-x"), ("GET", "v1/files/file-x/content"), ("DELETE", "v1/files/file-x"), ("POST", "v1/batches"), ("GET", "v1/batches"), ("GET", "v1/batches/batch_x"), ("POST", "v1/batches/batch_x/cancel"), ("POST", "v1/batches/batch_x/pause"), ("POST", "v1/batches/batch_x/resume") })
        {
            // No key at all, an empty one and some key: none opens a closed API.
            foreach (var authorization in new[] { null, "Bearer ", "Bearer sk-anything" })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                using var response = await http.SendAsync(request);
                response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{method} {path} with '{authorization}'");
                var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
                error.GetProperty("code").GetString().ShouldBe("invalid_api_key");
                error.GetProperty("message").GetString()!.ShouldContain(unset);
            }
        }

        (await http.GetAsync("api/status")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnyCall_WithoutTheKey_Is401()
    {
        await using var pipeline = await StartAsync();
        var wrong = await Should.ThrowAsync<ClientResultException>(() => Client(pipeline, "sk-wrong").GetOpenAIFileClient().GetFilesAsync());
        wrong.Status.ShouldBe(401);

        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        foreach (var (method, path) in new[] { ("GET", "v1/files"), ("POST", "v1/files"), ("GET", "v1/files/file-x/content"), ("DELETE", "v1/files/file-x"), ("POST", "v1/batches"), ("GET", "v1/batches"), ("GET", "v1/batches/batch_x"), ("POST", "v1/batches/batch_x/cancel"), ("POST", "v1/batches/batch_x/pause") })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{method} {path}");
            var body = await response.Content.ReadAsStringAsync();
            JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("invalid_api_key");
            body.ShouldNotContain(Key);
        }

        // The dashboard and status stay open, read-only.
        (await http.GetAsync("api/status")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
