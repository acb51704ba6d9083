using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>
/// <c>Submitter run</c> killed part-way through a batch, then run again as a user would: the
/// same command continues the batch it left (its finished jobs kept, its unfinished ones sent
/// again), <c>--new</c> starts afresh and ends the unfinished batch, and a second run never
/// works on a ledger another run is using.
/// </summary>
public sealed class RunResumeTests
{
    private const int Jobs = 120;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Run_KilledMidBatchThenRunAgain_ResumesTheSameBatchAndCallsNoFinishedJobAgain()
    {
        using var dir = new TempDirectory();
        var setup = Setup.Create(dir);

        string batchId;
        HashSet<Guid> finishedBeforeKill;
        await using (var first = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 1_500), setup.RunArgs()))
        {
            batchId = await WaitForSucceededAsync(setup.LedgerPath, atLeast: Jobs / 5, first);

            // Meanwhile a second run of the same ledger is refused: it would take this one's jobs
            // for abandoned and send them again.
            await using (var second = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), setup.RunArgs()))
            {
                (await second.WaitForExitAsync(RunTimeout)).ShouldBe(1);
                second.Output.ShouldContain("another run is using the ledger");
            }

            first.Kill();
            finishedBeforeKill = SucceededJobIds(setup.LedgerPath);
        }

        finishedBeforeKill.Count.ShouldBeInRange(Jobs / 5, Jobs - 1, "the batch must be killed part-way");
        await using (var again = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), setup.RunArgs()))
        {
            (await again.WaitForExitAsync(RunTimeout)).ShouldBe(0, again.Output);
            Flat(again.Output).ShouldContain($"Resuming batch {batchId}");
        }

        var ledger = OpenLedger(setup.LedgerPath);
        (await ledger.ListBatchesAsync(10, default)).Select(b => b.BatchId).ShouldBe([batchId], "no second batch");
        var status = (await ledger.GetBatchStatusAsync(batchId, default))!;
        status.IsComplete.ShouldBeTrue();
        status.Succeeded.ShouldBe(Jobs);
        OutputCustomIds(dir.File($"out/{batchId}-output.jsonl")).ShouldBe(Enumerable.Range(1, Jobs).Select(i => $"req-{i}"), ignoreOrder: true);

        var calls = CallLog.Read(setup.CallLog);
        calls.Where(c => finishedBeforeKill.Contains(c.JobId)).GroupBy(c => c.JobId).ShouldAllBe(
            g => g.Count() == 1, "a job that had ended before the kill is never called again");
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs);
    }

    [Fact]
    public async Task Run_New_StartsAnotherBatchAndEndsTheUnfinishedOneAsCancelled()
    {
        using var dir = new TempDirectory();
        var setup = Setup.Create(dir);

        string first;
        await using (var killed = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 1_500), setup.RunArgs()))
        {
            first = await WaitForSucceededAsync(setup.LedgerPath, atLeast: Jobs / 5, killed);
            killed.Kill();
        }

        await using (var fresh = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), [.. setup.RunArgs(), "--new"]))
        {
            (await fresh.WaitForExitAsync(RunTimeout)).ShouldBe(0, fresh.Output);
            Flat(fresh.Output).ShouldContain($"Batch {first}, an earlier run of this file, ended");
        }

        var ledger = OpenLedger(setup.LedgerPath);
        var batches = await ledger.ListBatchesAsync(10, default);
        batches.Count.ShouldBe(2);
        batches.ShouldAllBe(b => b.IsComplete, "no batch may stay running with nothing working on it");
        var old = batches.Single(b => b.BatchId == first);
        old.Failed.ShouldBe(Jobs - old.Succeeded);
        (await ledger.ListFailedJobsAsync(first, Jobs, default)).ShouldAllBe(j => j.ErrorKind == "BatchCancelled");
        batches.Single(b => b.BatchId != first).Succeeded.ShouldBe(Jobs);
    }

    // The terminal wraps long lines; a sentence is looked for across them.
    private static string Flat(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");

    private static SqliteLedger OpenLedger(string path) =>
        new(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);

    // The batch id once at least `atLeast` of its jobs succeeded.
    private static async Task<string> WaitForSucceededAsync(string ledgerPath, int atLeast, ProgramProcess run)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            run.HasExited.ShouldBeFalse(run.Output);
            try
            {
                using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly");
                c.Open();
                using var query = c.CreateCommand();
                query.CommandText = "SELECT batch_id FROM jobs WHERE state = 'succeeded' GROUP BY batch_id HAVING COUNT(*) >= $n";
                query.Parameters.AddWithValue("$n", atLeast);
                if (query.ExecuteScalar() is string batchId)
                {
                    return batchId;
                }
            }
            catch (SqliteException)
            {
                // Not created yet, or busy for a moment.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"fewer than {atLeast} jobs succeeded; output:\n{run.Output}");
    }

    private static HashSet<Guid> SucceededJobIds(string ledgerPath)
    {
        using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly");
        c.Open();
        using var query = c.CreateCommand();
        query.CommandText = "SELECT job_id FROM jobs WHERE state = 'succeeded'";
        using var reader = query.ExecuteReader();
        var ids = new HashSet<Guid>();
        while (reader.Read())
        {
            ids.Add(Guid.Parse(reader.GetString(0)));
        }

        return ids;
    }

    private static IEnumerable<string> OutputCustomIds(string path) =>
        File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!);

    // A batch file, a one-deployment catalog whose simulated provider logs its calls, and where the ledger and results go.
    private sealed record Setup(string Folder, string BatchPath, string ConfigPath, string LedgerPath, string CallLog)
    {
        public static Setup Create(TempDirectory dir)
        {
            var setup = new Setup(dir.Path, dir.File("batch.jsonl"), dir.File("config.json"), dir.File("ledger.db"), dir.File("calls.jsonl"));
            File.WriteAllLines(setup.BatchPath, Enumerable.Range(1, Jobs).Select(i => JsonSerializer.Serialize(new
            {
                custom_id = $"req-{i}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
            })));
            File.WriteAllText(setup.ConfigPath, JsonSerializer.Serialize(new
            {
                Catalog = new
                {
                    Deployments = new[]
                    {
                        new
                        {
                            Id = "sim", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 60_000, TimeoutSeconds = 30,
                            Simulation = new { LatencyMs = 10, LatencySigma = 0.0, ErrorRate = 0.0, RateLimitRate = 0.0, CallLogPath = setup.CallLog },
                        },
                    },
                },
            }));
            return setup;
        }

        public string[] RunArgs() => ["run", BatchPath, "--config", ConfigPath, "--ledger", LedgerPath, "--out", Path.Combine(Folder, "out")];

        // The provider's latency for this run: slow while a run is to be killed part-way, quick to finish.
        public IReadOnlyDictionary<string, string> Variables(int latencyMs) => new Dictionary<string, string>
        {
            ["DISPATCHER_Catalog__Deployments__0__Simulation__LatencyMs"] = latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
