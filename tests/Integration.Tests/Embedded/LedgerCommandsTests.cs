using System.Text.Json;
using Dispatcher.Tests.Support;
using Integration.Tests.Support;

namespace Integration.Tests.Embedded;

/// <summary>The CLI commands that need neither a broker nor a running dispatcher: <c>validate</c> and <c>list</c>.</summary>
public sealed class LedgerCommandsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly Dictionary<string, string> NoVariables = [];

    [Fact]
    public async Task Validate_GoodAndBadFiles_SaysValidOrNamesLineAndFieldAndPublishesNothing()
    {
        using var dir = new TempDirectory();
        var good = dir.File("good.jsonl");
        File.WriteAllLines(good, [Line("a", "gpt-test"), Line("b", "gpt-test")]);
        var bad = dir.File("bad.jsonl");
        File.WriteAllLines(bad, [Line("a", "gpt-test"), """{"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}}"""]);

        await using (var ok = ProgramProcess.Start("Submitter", NoVariables, "validate", good))
        {
            (await ok.WaitForExitAsync(Timeout)).ShouldBe(0, ok.Output);
            ok.Output.ShouldContain("2 requests, valid");
        }

        await using var rejected = ProgramProcess.Start("Submitter", NoVariables, "validate", bad);
        (await rejected.WaitForExitAsync(Timeout)).ShouldBe(2, rejected.Output);
        rejected.Output.ShouldContain("line 2, field body.stream");
    }

    [Fact]
    public async Task List_ThreeBatches_PagesNewestFirstInTheBatchApiShape()
    {
        using var dir = new TempDirectory();
        var ledger = dir.File("ledger.db");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var file = dir.File($"batch-{i}.jsonl");
            File.WriteAllLines(file, [Line($"req-{i}", "gpt-4o-mini")]);
            await using var run = ProgramProcess.Start("Submitter", NoVariables, "run", file, "--ledger", ledger, "--out", dir.File("out"));
            (await run.WaitForExitAsync(Timeout)).ShouldBe(0, run.Output);
            ids.Add(System.Text.RegularExpressions.Regex.Match(run.Output, @"batch_[0-9a-f]{32}").Value);
        }

        using var first = JsonDocument.Parse(await ListAsync(ledger, "--limit", "2"));
        first.RootElement.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()).ShouldBe([ids[2], ids[1]]);
        first.RootElement.GetProperty("has_more").GetBoolean().ShouldBeTrue();
        using var second = JsonDocument.Parse(await ListAsync(ledger, "--limit", "2", "--after", first.RootElement.GetProperty("last_id").GetString()!));
        second.RootElement.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()).ShouldBe([ids[0]]);
        second.RootElement.GetProperty("has_more").GetBoolean().ShouldBeFalse();
        second.RootElement.GetProperty("data")[0].GetProperty("status").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task Run_Metadata_KeptWithTheBatchAndListedByListJson()
    {
        using var dir = new TempDirectory();
        var file = dir.File("batch.jsonl");
        File.WriteAllLines(file, [Line("a", "gpt-4o-mini")]);
        var ledger = dir.File("ledger.db");

        await using (var run = ProgramProcess.Start("Submitter", NoVariables, "run", file, "--ledger", ledger, "--out", dir.File("out"), "--metadata", "team=search", "--metadata", "ticket=OPS-1"))
        {
            (await run.WaitForExitAsync(Timeout)).ShouldBe(0, run.Output);
        }

        using var page = JsonDocument.Parse(await ListAsync(ledger));
        var metadata = page.RootElement.GetProperty("data")[0].GetProperty("metadata");
        metadata.GetProperty("team").GetString().ShouldBe("search");
        metadata.GetProperty("ticket").GetString().ShouldBe("OPS-1");
    }

    [Fact]
    public async Task Run_MetadataWithoutAValue_RefusedNamingTheFlagAndNothingRuns()
    {
        using var dir = new TempDirectory();
        var file = dir.File("batch.jsonl");
        File.WriteAllLines(file, [Line("a", "gpt-4o-mini")]);
        var ledger = dir.File("ledger.db");

        await using var run = ProgramProcess.Start("Submitter", NoVariables, "run", file, "--ledger", ledger, "--out", dir.File("out"), "--metadata", "team");

        (await run.WaitForExitAsync(Timeout)).ShouldNotBe(0, run.Output);
        run.Output.ShouldContain("--metadata must be key=value");
        File.Exists(ledger).ShouldBeFalse();
    }

    [Fact]
    public async Task Run_LedgerOnPostgres_RefusedNamingTheSettingAndNothingRuns()
    {
        using var dir = new TempDirectory();
        var file = dir.File("batch.jsonl");
        File.WriteAllLines(file, [Line("a", "gpt-4o-mini")]);
        var variables = new Dictionary<string, string>
        {
            ["DISPATCHER_Ledger__Provider"] = "Postgres",
            // No server listens there: the refusal comes before any connection.
            ["DISPATCHER_Ledger__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=ledger;Username=dispatcher",
        };

        await using var run = ProgramProcess.Start("Submitter", variables, "run", file, "--out", dir.File("out"));

        (await run.WaitForExitAsync(Timeout)).ShouldBe(2, run.Output);
        run.Output.ShouldContain("Ledger:Provider is Postgres");
        Directory.Exists(dir.File("out")).ShouldBeFalse(run.Output);
    }

    [Fact]
    public async Task Run_Tenant_BillsEveryJobOfTheFileToIt()
    {
        using var dir = new TempDirectory();
        var file = dir.File("batch.jsonl");
        File.WriteAllLines(file, [Line("a", "gpt-4o-mini"), Line("b", "gpt-4o-mini")]);
        var ledger = dir.File("ledger.db");

        await using (var run = ProgramProcess.Start("Submitter", NoVariables, "run", file, "--ledger", ledger, "--out", dir.File("out"), "--tenant", "acme"))
        {
            (await run.WaitForExitAsync(Timeout)).ShouldBe(0, run.Output);
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ledger};Mode=ReadOnly");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM jobs WHERE tenant = 'acme'";
        ((long)query.ExecuteScalar()!).ShouldBe(2);
    }

    private static async Task<string> ListAsync(string ledger, params string[] args)
    {
        await using var list = ProgramProcess.Start("Submitter", NoVariables, ["list", "--ledger", ledger, "--json", .. args]);
        (await list.WaitForExitAsync(Timeout)).ShouldBe(0, list.Output);
        return list.Output.Split('\n').Single(l => l.StartsWith('{'));
    }

    private static string Line(string customId, string model) => JsonSerializer.Serialize(new
    {
        custom_id = customId,
        method = "POST",
        url = "/v1/chat/completions",
        body = new { model, messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 8 },
    });
}
