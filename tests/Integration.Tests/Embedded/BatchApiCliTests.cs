using System.Text.Json;
using Integration.Tests.Support;

namespace Integration.Tests.Embedded;

// The CLI on "another machine": submit --wait, results, pause, resume and cancel against a
// dispatcher's URL through its Batch API, with no broker and no access to the ledger file.
public sealed class BatchApiCliTests
{
    private const string KeyVariable = "BATCH_API_CLI_TEST_KEY";
    private const string Key = "sk-batch-api-cli-test-0123456789";

    private static Dictionary<string, string> Environment(string key = Key) => new()
    {
        ["DISPATCHER_API_KEY"] = key,
        ["DISPATCHER_Transport__Kind"] = "InMemory",
        // A ledger path that does not exist: the commands must not need one.
        ["DISPATCHER_Ledger__Path"] = "/nonexistent/ledger.db",
    };

    private static async Task<(int Exit, string Output)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        await using var cli = ProgramProcess.Start("Submitter", environment, args);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, cli.Output);
    }

    private static string Lines(int count, string prefix, string group = "gpt-test") => string.Join('\n', Enumerable.Range(1, count).Select(i => JsonSerializer.Serialize(new
    {
        custom_id = $"{prefix}-{i}",
        method = "POST",
        url = "/v1/chat/completions",
        body = new { model = group, messages = new[] { new { role = "user", content = $"q {i}" } }, max_tokens = 8 },
    }))) + "\n";

    [Fact]
    public async Task StatusAndWatch_BatchOlderThanTheRecentOnes_AskTheDispatcherNotALedger()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("east", latencyMs: 1) } });
        await pipeline.SubmitBatchAsync("aged-batch", 5);
        await pipeline.WaitForBatchAsync("aged-batch");
        for (var i = 0; i < 20; i++)
        {
            await pipeline.SubmitBatchAsync($"later-{i:D2}", 1);
        }

        for (var i = 0; i < 20; i++)
        {
            await pipeline.WaitForBatchAsync($"later-{i:D2}");
        }

        using (var http = new HttpClient())
        {
            var recent = await http.GetStringAsync(new Uri(pipeline.BaseAddress, "api/status"));
            recent.ShouldNotContain("aged-batch", customMessage: "the batch must be older than the dispatcher's recent ones");
        }

        var url = pipeline.BaseAddress.AbsoluteUri;

        var (exit, output) = await RunAsync(Environment(), "status", "aged-batch", "--dispatcher", url);

        exit.ShouldBe(0, output);
        output.ShouldContain("from dispatcher at " + pipeline.BaseAddress.GetLeftPart(UriPartial.Authority));
        output.Split('\n').ShouldContain(l => l.Contains("aged-batch", StringComparison.Ordinal) && l.Contains("completed", StringComparison.Ordinal), output);
        output.ShouldContain("5 of 5 ended");

        (exit, output) = await RunAsync(Environment(), "watch", "aged-batch", "--interval", "00:00:00.2", "--duration", "00:01:00", "--dispatcher", url);

        exit.ShouldBe(0, output);
        // The live view writes terminal control sequences between its words.
        System.Text.RegularExpressions.Regex.Replace(output, @"\x1b\[[0-9;?]*[A-Za-z]", "").ShouldContain("batch aged-batch finished.");

        (exit, output) = await RunAsync(Environment(), "status", "no-such-batch", "--dispatcher", url);

        exit.ShouldBe(2, output);
        output.ShouldContain("not known to the dispatcher at");
        // A ledger opened at the path the CLI was given would have created its folder.
        Directory.Exists(Path.GetDirectoryName(Environment()["DISPATCHER_Ledger__Path"])).ShouldBeFalse("no local ledger was opened");
    }

    [Fact]
    public async Task Submit_TenantPriorityAndBatchId_CarriedOrRefusedBeforeAnythingIsSent()
    {
        System.Environment.SetEnvironmentVariable(KeyVariable, Key);
        await using var pipeline = await MonitoredPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("east", latencyMs: 1) } },
            new Dictionary<string, string?> { ["BatchApi:KeyVariable"] = KeyVariable });
        var url = pipeline.BaseAddress.AbsoluteUri;
        var file = pipeline.Directory.File("tenanted.jsonl");
        await File.WriteAllTextAsync(file, Lines(6, "t"));

        var (exit, output) = await RunAsync(Environment(), "submit", file, "--dispatcher", url, "--tenant", "team-b", "--priority", "3", "--wait", "--out", pipeline.Directory.File("out"));

        exit.ShouldBe(0, output);
        var batchId = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("batch batch_", StringComparison.Ordinal)).Split(':')[0]["batch ".Length..];
        RunLedger.JobIds(pipeline.LedgerPath, $"batch_id = '{batchId}' AND tenant = 'team-b' AND priority = 3").Count.ShouldBe(6);

        (exit, output) = await RunAsync(Environment(), "submit", file, "--dispatcher", url, "--priority", "5000");

        exit.ShouldBe(2, output);
        output.ShouldContain("'priority' must be an integer from -1000 to 1000");

        (exit, output) = await RunAsync(Environment(), "submit", file, "--dispatcher", url, "--batch-id", "mine");

        exit.ShouldBe(2, output);
        output.ShouldContain("--batch-id cannot be used with --dispatcher");
        (await pipeline.Ledger.ListBatchesAsync(10, default)).Select(b => b.BatchId).ShouldBe([batchId]);
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
        JsonDocument.Parse(await http.GetStringAsync("v1/files?purpose=batch")).RootElement.GetProperty("data").GetArrayLength().ShouldBe(2, "the refused --priority upload is kept, the --batch-id one never sent");
    }

    [Fact]
    public async Task SubmitWaitResultsPauseResumeCancel_AgainstTheDispatcherUrl_WorkThroughTheApi()
    {
        System.Environment.SetEnvironmentVariable(KeyVariable, Key);
        await using var pipeline = await MonitoredPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("east", latencyMs: 20, maxParallel: 1), EmbeddedPipeline.Simulated("west", latencyMs: 20, maxParallel: 1) } },
            new Dictionary<string, string?> { ["BatchApi:KeyVariable"] = KeyVariable });
        var url = pipeline.BaseAddress.AbsoluteUri;
        var small = pipeline.Directory.File("small.jsonl");
        await File.WriteAllTextAsync(small, Lines(12, "ok") + Lines(1, "lost", "no-such-group"));
        var outFolder = pipeline.Directory.File("out");

        var (exit, output) = await RunAsync(Environment(), "submit", small, "--dispatcher", url, "--wait", "--out", outFolder);

        exit.ShouldBe(4, output); // one job failed: no deployment holds its group
        var batchId = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("batch batch_", StringComparison.Ordinal)).Split(':')[0]["batch ".Length..];
        output.ShouldContain("completed (12 succeeded, 1 failed, of 13)");
        File.ReadAllLines(Path.Combine(outFolder, $"{batchId}-output.jsonl")).Length.ShouldBe(12);
        File.ReadAllLines(Path.Combine(outFolder, $"{batchId}-errors.jsonl")).Length.ShouldBe(1);

        var again = pipeline.Directory.File("again");
        (exit, output) = await RunAsync(Environment(), "results", batchId, "--dispatcher", url, "--out", again);
        exit.ShouldBe(0, output);
        File.ReadAllLines(Path.Combine(again, $"{batchId}-output.jsonl")).Length.ShouldBe(12);

        // A batch long enough to hold, pause, resume and cancel.
        var large = pipeline.Directory.File("large.jsonl");
        await File.WriteAllTextAsync(large, Lines(2000, "slow"));
        (exit, output) = await RunAsync(Environment(), "submit", large, "--dispatcher", url, "--metadata", "team=search");
        exit.ShouldBe(0, output);
        var slowId = output.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("batch_", StringComparison.Ordinal));
        (await pipeline.Ledger.GetBatchStatusAsync(slowId, default))!.Metadata!["team"].ShouldBe("search");

        (exit, output) = await RunAsync(Environment(), "pause", slowId, "--dispatcher", url);
        exit.ShouldBe(0, output);
        output.ShouldContain($"batch {slowId}: paused");
        (exit, output) = await RunAsync(Environment(), "resume", slowId, "--dispatcher", url);
        exit.ShouldBe(0, output);
        output.ShouldContain("in_progress");
        (exit, output) = await RunAsync(Environment(), "cancel", slowId, "--dispatcher", url, "--reason", "wrong prompt");
        exit.ShouldBe(0, output);
        output.ShouldMatch($"batch {slowId}: cancel(ling|led)");
        (await pipeline.Ledger.GetBatchStatusAsync(slowId, default))!.ControlReason.ShouldBe("wrong prompt");

        // Without the key the dispatcher refuses, and the CLI says which variable to set.
        (exit, output) = await RunAsync(Environment(key: ""), "results", batchId, "--dispatcher", url, "--out", again);
        exit.ShouldBe(2, output);
        output.ShouldContain("DISPATCHER_API_KEY");
        (exit, output) = await RunAsync(Environment(key: "sk-wrong"), "results", batchId, "--dispatcher", url, "--out", again);
        exit.ShouldNotBe(0, output);
        output.ShouldContain("API key");
    }
}
