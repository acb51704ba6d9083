using System.Globalization;
using Dapper;
using Dispatcher.Contracts;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Bench.Quota;

/// <summary>What a run's ledger says about its batch: per deployment, the jobs it finished, their tokens and cost, and the 429s it answered.</summary>
internal static class QuotaLedger
{
    /// <summary>
    /// Reads the batch's figures from the ledger file; the timeline counts from
    /// <paramref name="startedAt"/> in windows of <paramref name="window"/>, and the calls of the
    /// span <paramref name="reading"/> covers are summed for the window audit (none when null).
    /// </summary>
    public static async Task<LedgerFigures> ReadAsync(
        string ledgerPath, string batchId, DateTimeOffset startedAt, TimeSpan window, WindowReading? reading, CancellationToken ct)
    {
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = ledgerPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await c.OpenAsync(ct);
        var jobs = await c.QueryAsync<DeploymentUsage>(new CommandDefinition(
            """
            SELECT deployment_id AS DeploymentId, COUNT(*) AS Jobs,
                   SUM(prompt_tokens) AS PromptTokens, SUM(completion_tokens) AS CompletionTokens,
                   SUM(est_prompt_tokens + max_tokens) AS ReservedTokens, SUM(cost) AS Cost,
                   SUM(est_prompt_tokens) AS EstimatedPromptTokens
            FROM jobs WHERE batch_id = @batchId AND state = 'succeeded'
            GROUP BY deployment_id
            """,
            new { batchId },
            cancellationToken: ct));
        var failed = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM jobs WHERE batch_id = @batchId AND state = 'failed'", new { batchId }, cancellationToken: ct));
        var attempts = await c.QueryAsync<(string DeploymentId, string ErrorKind, long Count)>(new CommandDefinition(
            """
            SELECT a.deployment_id, a.error_kind, COUNT(*)
            FROM attempts a JOIN jobs j ON j.job_id = a.job_id
            WHERE j.batch_id = @batchId
            GROUP BY a.deployment_id, a.error_kind
            """,
            new { batchId },
            cancellationToken: ct));
        var succeeded = await c.QueryAsync<(string DeploymentId, string RecordedAt, long Tokens)>(new CommandDefinition(
            """
            SELECT a.deployment_id, a.recorded_at, COALESCE(a.prompt_tokens, 0) + COALESCE(a.completion_tokens, 0)
            FROM attempts a JOIN jobs j ON j.job_id = a.job_id
            WHERE j.batch_id = @batchId AND a.error_kind = @none
            """,
            new { batchId, none = nameof(ErrorKind.None) },
            cancellationToken: ct));
        var calls = succeeded.Select(a => (a.DeploymentId, At: DateTimeOffset.Parse(a.RecordedAt, CultureInfo.InvariantCulture), a.Tokens)).ToList();
        var timeline = calls
            .GroupBy(a => (int)Math.Floor((a.At - startedAt) / window))
            .OrderBy(g => g.Key)
            .Select(g => new WindowUsage(
                g.Key,
                g.GroupBy(a => a.DeploymentId, StringComparer.Ordinal)
                    .ToDictionary(d => d.Key, d => (Requests: (long)d.Count(), Tokens: d.Sum(a => a.Tokens)), StringComparer.Ordinal)))
            .ToList();
        var inReadingSpan = calls
            .Where(a => reading is not null && a.At > reading.At - reading.Span && a.At <= reading.At)
            .GroupBy(a => a.DeploymentId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Requests: (long)g.Count(), Tokens: g.Sum(a => a.Tokens)), StringComparer.Ordinal);
        var rateLimited = attempts
            .Where(a => a.ErrorKind == nameof(ErrorKind.RateLimited))
            .ToDictionary(a => a.DeploymentId, a => a.Count, StringComparer.Ordinal);
        return new LedgerFigures(
            jobs.ToDictionary(j => j.DeploymentId, StringComparer.Ordinal),
            failed,
            attempts.Sum(a => a.Count),
            rateLimited,
            timeline,
            inReadingSpan);
    }
}

/// <summary>One deployment's share of a batch, from the ledger's succeeded jobs.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Jobs">Jobs it finished.</param>
/// <param name="PromptTokens">Prompt tokens the provider reported.</param>
/// <param name="CompletionTokens">Completion tokens the provider reported.</param>
/// <param name="ReservedTokens">What routing reserved for those jobs: prompt estimate plus max_tokens each.</param>
/// <param name="Cost">Their cost.</param>
/// <param name="EstimatedPromptTokens">The dispatcher's prompt estimates for those jobs, to set beside what the provider counted.</param>
internal sealed record DeploymentUsage(string DeploymentId, long Jobs, long PromptTokens, long CompletionTokens, long ReservedTokens, double Cost, long EstimatedPromptTokens)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public long Tokens => PromptTokens + CompletionTokens;
}

/// <summary>A batch's figures from the ledger.</summary>
/// <param name="ByDeployment">Succeeded jobs per deployment.</param>
/// <param name="Failed">Jobs that ended without a completion.</param>
/// <param name="Attempts">Every attempt the ledger recorded for the batch.</param>
/// <param name="RateLimitedByDeployment">Attempts a provider answered with 429 (error RateLimited), per deployment.</param>
/// <param name="Timeline">Successful calls per quota window since the first job was published, by when the ledger recorded them.</param>
/// <param name="CallsInAuditSpan">Per deployment, the successful calls the ledger recorded during the span the window audit read, and their tokens.</param>
internal sealed record LedgerFigures(
    IReadOnlyDictionary<string, DeploymentUsage> ByDeployment,
    long Failed,
    long Attempts,
    IReadOnlyDictionary<string, long> RateLimitedByDeployment,
    IReadOnlyList<WindowUsage> Timeline,
    IReadOnlyDictionary<string, (long Requests, long Tokens)> CallsInAuditSpan)
{
    /// <summary>Succeeded jobs.</summary>
    public long Succeeded => ByDeployment.Values.Sum(d => d.Jobs);

    /// <summary>Prompt tokens of the succeeded jobs.</summary>
    public long PromptTokens => ByDeployment.Values.Sum(d => d.PromptTokens);

    /// <summary>Completion tokens of the succeeded jobs.</summary>
    public long CompletionTokens => ByDeployment.Values.Sum(d => d.CompletionTokens);

    /// <summary>The dispatcher's prompt estimates for the succeeded jobs.</summary>
    public long EstimatedPromptTokens => ByDeployment.Values.Sum(d => d.EstimatedPromptTokens);

    /// <summary>Total cost of the succeeded jobs.</summary>
    public double Cost => ByDeployment.Values.Sum(d => d.Cost);

    /// <summary>Provider 429s in all.</summary>
    public long RateLimited => RateLimitedByDeployment.Values.Sum();
}

/// <summary>Successful calls recorded during one quota window of a run, per deployment.</summary>
/// <param name="Index">The window's number, 0 being the window in which the first job was published.</param>
/// <param name="ByDeployment">Requests and tokens (prompt plus completion) per deployment.</param>
internal sealed record WindowUsage(int Index, IReadOnlyDictionary<string, (long Requests, long Tokens)> ByDeployment);
