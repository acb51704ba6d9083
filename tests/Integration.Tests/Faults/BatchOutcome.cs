using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Faults;

/// <summary>What a finished batch left behind: its result files and its ledger rows.</summary>
internal static class BatchOutcome
{
    /// <summary>The custom ids of every line of the batch's output and error files, duplicates kept.</summary>
    public static IReadOnlyList<string> ResultCustomIds(string outDir, string batchId) =>
        [.. new[] { $"{batchId}-output.jsonl", $"{batchId}-errors.jsonl" }
            .Select(name => Path.Combine(outDir, name))
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!)];

    /// <summary>Asserts that every custom id req-1..req-N has exactly one line across both files, and no other line exists.</summary>
    public static void ShouldHaveOneLinePerCustomId(string outDir, string batchId, int jobs, string context)
    {
        var ids = ResultCustomIds(outDir, batchId);
        var duplicated = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        duplicated.ShouldBeEmpty($"duplicate result lines; {context}");
        var expected = Enumerable.Range(1, jobs).Select(i => $"req-{i}").ToHashSet();
        expected.Except(ids).Take(10).ShouldBeEmpty($"jobs without a result line (lost); {context}");
        ids.Count.ShouldBe(jobs, context);
    }

    /// <summary>A read-only connection to a ledger file another process writes.</summary>
    public static SqliteConnection Open(string ledgerPath) => new($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");

    /// <summary>Waits until at least <paramref name="count"/> jobs have ended in the ledger.</summary>
    public static Task WaitForEndedAsync(string ledgerPath, int count, TimeSpan timeout, Func<string> diagnostics) =>
        WaitForJobsAsync(ledgerPath, "state IN ('succeeded', 'failed')", count, timeout, diagnostics);

    /// <summary>Until the ledger holds <paramref name="count"/> jobs matching <paramref name="where"/> (SQL on <c>jobs</c>).</summary>
    public static async Task WaitForJobsAsync(string ledgerPath, string where, int count, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(ledgerPath))
            {
                try
                {
                    await using var c = Open(ledgerPath);
                    if (await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM jobs WHERE {where}") >= count)
                    {
                        return;
                    }
                }
                catch (SqliteException)
                {
                    // The dispatcher has not created the tables yet.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"fewer than {count} jobs where {where} within {timeout}; {diagnostics()}");
    }
}
