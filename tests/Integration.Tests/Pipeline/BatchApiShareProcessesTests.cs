using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

// BatchClient is marked experimental in the SDK (OPENAI001); it is what users call, so it is what is tested.
#pragma warning disable OPENAI001

namespace Integration.Tests.Pipeline;

/// <summary>
/// The Batch API behind a load balancer: two active dispatchers on one broker and a PostgreSQL
/// ledger (<c>Dispatcher:Shares</c> 2), each with a folder of its own, driven through the official
/// OpenAI .NET SDK by calls that land on either.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class BatchApiShareProcessesTests(RabbitNodeFixture rabbit)
{
    private const string Key = "sk-batch-api-shares-0123456789abcdef";
    private const int Lines = 40;

    [Fact]
    public async Task TwoDispatchers_UploadThroughOneCreateAndCancelThroughTheOther_EitherFollowsAndDownloadsEachResultFileWrittenOnce()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[]
            {
                PipelineEnvironment.Simulated("alpha-1", "alpha"),
                PipelineEnvironment.Simulated("beta-1", "beta"),
                // Two calls, then four a minute: a batch of it is still under way when it is cancelled.
                new
                {
                    Id = "slow-1", ModelGroup = "slow", Provider = "Simulated", MaxParallel = 2, Rpm = 4, BurstFraction = 0.5,
                    InputPricePerMillion = 1.0, OutputPricePerMillion = 2.0, Simulation = new { LatencyMs = 50, LatencySigma = 0.0, Seed = 1 },
                },
            },
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        // Each dispatcher's ledger path, and so its Batch API folder, is its own: only the database is shared.
        var a = Variables(env, connectionString, "a");
        var b = Variables(env, connectionString, "b");
        await using var first = ProgramProcess.Start("Dispatcher.Host", a, "--Dispatcher:PreferredShares:0=0");
        await using var second = ProgramProcess.Start("Dispatcher.Host", b, "--Dispatcher:PreferredShares:0=1");
        await using var workers = ProgramProcess.Start("Workers.Host", a);
        await env.WaitForConsumersAsync(first, QueueNames.Intake, QueueNames.Lane(0) + ".s0", QueueNames.Lane(0) + ".s1");
        var (clientA, clientB) = (Client(await first.ListeningUrlAsync()), Client(await second.ListeningUrlAsync()));
        string Outputs() => $"first:\n{first.Output}\nsecond:\n{second.Output}";

        // Upload through A: B lists and reads it.
        var customIds = Enumerable.Range(1, Lines).Select(i => $"req-{i}").ToList();
        OpenAIFile input = await clientA.GetOpenAIFileClient().UploadFileAsync(Jsonl(customIds), "shares.jsonl", FileUploadPurpose.Batch);
        ((OpenAIFile)await clientB.GetOpenAIFileClient().GetFileAsync(input.Id)).SizeInBytes.ShouldBe(input.SizeInBytes);
        (await clientB.GetOpenAIFileClient().GetFilesAsync()).Value.Select(f => f.Id).ShouldContain(input.Id);

        // Create through B, follow through A.
        var operation = await clientB.GetBatchClient().CreateBatchAsync(
            BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = input.Id, endpoint = "/v1/chat/completions", completion_window = "24h" })),
            waitUntilCompleted: false);
        var batch = await PollAsync(clientA.GetBatchClient(), operation.BatchId, "completed", Outputs);
        batch.GetProperty("request_counts").GetProperty("completed").GetInt64().ShouldBe(Lines, Outputs());
        batch.GetProperty("error_file_id").ValueKind.ShouldBe(JsonValueKind.Null);

        // Both read the ended batch at once: its output file is written once, and both name it.
        var both = await Task.WhenAll(
            Task.Run(async () => Json(await clientA.GetBatchClient().GetBatchAsync(operation.BatchId, new RequestOptions()))),
            Task.Run(async () => Json(await clientB.GetBatchClient().GetBatchAsync(operation.BatchId, new RequestOptions()))));
        var outputId = batch.GetProperty("output_file_id").GetString().ShouldNotBeNull();
        both.Select(v => v.GetProperty("output_file_id").GetString()).ShouldAllBe(id => id == outputId);
        (await clientB.GetBatchClient().GetBatchesAsync(after: null, limit: 10, options: new RequestOptions()).GetRawPagesAsync().FirstAsync())
            .GetRawResponse().Content.ToString().ShouldContain(operation.BatchId);

        // Download through B: one line per custom id.
        var output = (await clientB.GetOpenAIFileClient().DownloadFileAsync(outputId)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString())
            .ToList();
        output.Count.ShouldBe(Lines);
        output.ShouldBe(customIds, ignoreOrder: true);
        using (var http = new HttpClient { BaseAddress = await second.ListeningUrlAsync(), Timeout = TimeSpan.FromSeconds(10) })
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"v1/files/{outputId}/content"))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var size = ((OpenAIFile)await clientB.GetOpenAIFileClient().GetFileAsync(outputId)).SizeInBytesLong;
            response.Content.Headers.ContentLength.ShouldBe(size, "the length is sent ahead of the bytes kept in the database");
            (await response.Content.ReadAsByteArrayAsync()).LongLength.ShouldBe(size!.Value);
        }
        var outputs = (await clientA.GetOpenAIFileClient().GetFilesAsync()).Value.Where(f => f.Filename == operation.BatchId + "_output.jsonl").ToList();
        outputs.Select(f => f.Id).ShouldBe([outputId], "one output file, whichever dispatcher wrote it");

        // A batch created through A is cancelled through B while under way; A sees it end, B serves its error file.
        OpenAIFile slowInput = await clientA.GetOpenAIFileClient().UploadFileAsync(Jsonl(customIds, "slow"), "slow.jsonl", FileUploadPurpose.Batch);
        var slow = await clientA.GetBatchClient().CreateBatchAsync(
            BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = slowInput.Id, endpoint = "/v1/chat/completions", completion_window = "24h" })),
            waitUntilCompleted: false);
        await PollAsync(clientB.GetBatchClient(), slow.BatchId, b => b.GetProperty("request_counts").GetProperty("completed").GetInt64() > 0, Outputs);
        var throughB = await CreateBatchOperation.RehydrateAsync(clientB.GetBatchClient(), slow.BatchId);
        var cancelling = Json(await throughB.CancelAsync(new RequestOptions()));
        cancelling.GetProperty("status").GetString().ShouldBeOneOf("cancelling", "cancelled");
        var cancelled = await PollAsync(clientA.GetBatchClient(), slow.BatchId, "cancelled", Outputs);
        var errors = (await clientB.GetOpenAIFileClient().DownloadFileAsync(cancelled.GetProperty("error_file_id").GetString()!)).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        errors.ShouldNotBeEmpty();
        errors.ShouldAllBe(l => l.GetProperty("error").GetProperty("code").GetString() == "batch_cancelled");
        var succeeded = cancelled.GetProperty("output_file_id").GetString() is { } slowOutput
            ? (await clientA.GetOpenAIFileClient().DownloadFileAsync(slowOutput)).Value.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length
            : 0;
        succeeded.ShouldBeGreaterThan(0);
        (succeeded + errors.Count).ShouldBe(Lines, "one line per custom id across the two files");

        // Neither kept a file in its own folder: they are in the database they share.
        foreach (var process in new[] { "a", "b" })
        {
            Directory.GetFiles(Path.Combine(env.Folder, process, "files"), "file-*").ShouldBeEmpty();
        }
    }

    private static Dictionary<string, string> Variables(PipelineEnvironment env, string connectionString, string process) => new(env.Variables)
    {
        ["DISPATCHER_Ledger__Provider"] = nameof(LedgerProvider.Postgres),
        ["DISPATCHER_Ledger__ConnectionString"] = connectionString,
        ["DISPATCHER_Ledger__Path"] = Path.Combine(env.Folder, process, "ledger.db"),
        ["DISPATCHER_Dispatcher__Shares"] = "2",
        ["DISPATCHER_API_KEY"] = Key,
    };

    private static OpenAIClient Client(Uri dispatcher) =>
        new(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(dispatcher, "v1") });

    // Alternating groups, so the batch's jobs are routed by both dispatchers.
    private static BinaryData Jsonl(IEnumerable<string> customIds, string? model = null) => BinaryData.FromString(string.Join('\n', customIds.Select((id, i) => JsonSerializer.Serialize(new
    {
        custom_id = id,
        method = "POST",
        url = "/v1/chat/completions",
        body = new { model = model ?? (i % 2 == 0 ? "alpha" : "beta"), messages = new[] { new { role = "user", content = "hello " + id } }, max_tokens = 16 },
    }))) + "\n");

    private static JsonElement Json(ClientResult result) => JsonDocument.Parse(result.GetRawResponse().Content).RootElement.Clone();

    // Until the batch ends, which must be in status.
    private static async Task<JsonElement> PollAsync(BatchClient batches, string batchId, string status, Func<string> outputs)
    {
        var batch = await PollAsync(batches, batchId, b => b.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "expired", outputs);
        batch.GetProperty("status").GetString().ShouldBe(status, $"{batch}\n{outputs()}");
        return batch;
    }

    private static async Task<JsonElement> PollAsync(BatchClient batches, string batchId, Func<JsonElement, bool> done, Func<string> outputs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var batch = Json(await batches.GetBatchAsync(batchId, new RequestOptions()));
            if (done(batch))
            {
                return batch;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"batch {batchId} did not get there: {batch}\n{outputs()}");
            await Task.Delay(250);
        }
    }
}
