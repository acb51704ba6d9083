using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Support;

/// <summary>The ledger file of an embedded <c>run</c> a test started, read while it runs and after, and its output.</summary>
internal static class RunLedger
{
    /// <summary>The longest a test waits for a run to get somewhere.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The output on one line: the terminal wraps long lines, and a sentence is looked for across them.</summary>
    public static string Flat(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");

    /// <summary>The ledger at <paramref name="path"/>, opened as the product opens it.</summary>
    public static JobLedger Open(string path) =>
        new(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);

    /// <summary>The batch id once at least <paramref name="atLeast"/> of its jobs succeeded; fails if the run ends first.</summary>
    public static async Task<string> WaitForSucceededAsync(string ledgerPath, int atLeast, ProgramProcess run)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            run.HasExited.ShouldBeFalse(run.Output);
            try
            {
                using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");
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

    /// <summary>The ids of the jobs <paramref name="where"/> (an SQL condition on <c>jobs</c>) holds for.</summary>
    public static HashSet<Guid> JobIds(string ledgerPath, string where)
    {
        using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var query = c.CreateCommand();
        query.CommandText = "SELECT job_id FROM jobs WHERE " + where;
        using var reader = query.ExecuteReader();
        var ids = new HashSet<Guid>();
        while (reader.Read())
        {
            ids.Add(Guid.Parse(reader.GetString(0)));
        }

        return ids;
    }
}
