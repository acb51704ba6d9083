using System.Text.Json;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Embedded;

/// <summary>
/// <c>Submitter run</c> on a file much longer than its bound on jobs in flight (<c>--in-flight</c>):
/// the file is published in step with the batch's progress, so the ledger never holds more jobs
/// accepted and not ended than the bound, and every line still ends once, also when the run is
/// interrupted and run again.
/// </summary>
public sealed class RunInFlightTests
{
    private const int Jobs = 600;
    private const int InFlight = 40;

    [Fact]
    public async Task Run_FileLongerThanInFlight_NeverHoldsMoreThanInFlightAcceptedButNotEnded()
    {
        using var dir = new TempDirectory();
        var setup = RunSetup.Create(dir, Jobs, rpm: 600_000);

        var samples = new List<(long Recorded, long Unfinished)>();
        await using (var run = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 20), [.. setup.RunArgs(), "--in-flight", $"{InFlight}"]))
        {
            var deadline = DateTime.UtcNow + RunLedger.RunTimeout;
            while (!run.HasExited && DateTime.UtcNow < deadline)
            {
                if (Read(setup.LedgerPath) is { } sample)
                {
                    samples.Add(sample);
                }

                await Task.Delay(10);
            }

            (await run.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, run.Output);
        }

        samples.ShouldContain(s => s.Recorded > 0 && s.Recorded < Jobs, "the ledger was read while the file was being published");
        samples.Max(s => s.Unfinished).ShouldBeLessThanOrEqualTo(InFlight, "jobs accepted and not ended never exceed the bound");
        AssertEveryLineEndedOnce(dir, setup);
    }

    [Fact]
    public async Task Run_KilledThenRunAgainWithSmallInFlight_SubmitsOnlyTheLinesNotRecordedAndFinishes()
    {
        using var dir = new TempDirectory();
        var setup = RunSetup.Create(dir, Jobs, rpm: 600_000);
        await using (var first = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 1_000), [.. setup.RunArgs(), "--in-flight", $"{InFlight}"]))
        {
            await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: InFlight / 4, first);
            first.Kill();
        }

        var recordedBeforeKill = RunLedger.JobIds(setup.LedgerPath, "1 = 1").Count;
        recordedBeforeKill.ShouldBeLessThan(Jobs, "the run was killed with most of the file not yet published");

        // The lines recorded before the kill are not counted in flight again: a run that counted them
        // would wait for room that never comes.
        await using (var again = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 5), [.. setup.RunArgs(), "--in-flight", $"{InFlight}"]))
        {
            (await again.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, again.Output);
        }

        AssertEveryLineEndedOnce(dir, setup);
    }

    private static void AssertEveryLineEndedOnce(TempDirectory dir, RunSetup setup)
    {
        var output = Directory.GetFiles(dir.File("out"), "*-output.jsonl").ShouldHaveSingleItem();
        File.ReadLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString())
            .ShouldBe(Enumerable.Range(1, Jobs).Select(i => $"req-{i}"), ignoreOrder: true);
        CallLog.Read(setup.CallLog).Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs);
    }

    private static (long Recorded, long Unfinished)? Read(string ledgerPath)
    {
        try
        {
            using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var query = c.CreateCommand();
            query.CommandText = "SELECT COUNT(*), COALESCE(SUM(state IN ('queued', 'dispatched')), 0) FROM jobs";
            using var reader = query.ExecuteReader();
            return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
        }
        catch (SqliteException)
        {
            // Not created yet, or busy for a moment.
            return null;
        }
    }
}
