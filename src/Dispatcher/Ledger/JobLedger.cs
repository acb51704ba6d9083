using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Dispatcher.Quotas;
using Microsoft.Extensions.Options;

namespace Dispatcher.Ledger;

/// <summary>
/// The ledger: jobs, their attempts and batches, in a SQLite file or a PostgreSQL database
/// (<see cref="LedgerOptions.Provider"/>), with the same statements on both; what the engines do
/// differently is their <see cref="LedgerDialect"/>'s. Writes go through one connection with group
/// commit (<see cref="LedgerWriter"/>), so concurrent consumers never meet SQLITE_BUSY inside the
/// process and share the cost of each commit; reads open their own pooled connections and, under
/// WAL or PostgreSQL's snapshots, never wait for writes.
/// Every write that ends a job is conditional on the job not having ended, which is what
/// makes a redelivered message harmless.
/// </summary>
public sealed class JobLedger : IAsyncDisposable
{
    private const string JobColumns = """
        job_id AS JobId, batch_id AS BatchId, custom_id AS CustomId, model_group AS ModelGroup,
        tenant AS Tenant, priority AS Priority, session_key AS SessionKey, deadline AS Deadline,
        body AS Body, state AS State, attempts AS Attempts, deployment_id AS DeploymentId,
        est_prompt_tokens AS EstPromptTokens, max_tokens AS MaxTokens, prompt_tokens AS PromptTokens,
        completion_tokens AS CompletionTokens, cost_exact AS CostExact, cost AS CostReal, error_kind AS ErrorKind,
        error_message AS ErrorMessage, status_code AS StatusCode, response AS Response,
        request_id AS RequestId, latency_ms AS LatencyMs, result_published AS ResultPublished,
        completed_at AS CompletedAt, quota_seq AS QuotaSeq, route_reason AS RouteReason,
        attempt_base AS AttemptBase, replays AS Replays, url AS Url,
        body_traits AS BodyTraits, body_metadata AS BodyMetadata
        """;

    private const string QuotaStateSql = """
        SELECT deployment_id AS DeploymentId, requests AS Requests, tokens AS Tokens, saved_at AS SavedAt,
               paused_until AS PausedUntil, pause_reason AS PauseReason, pause_waiting AS PauseWaiting,
               input_tokens AS InputTokens, output_tokens AS OutputTokens
        FROM quota_state
        """;

    // Reads that run at once on connections of their own, their statements kept compiled.
    private const int ReadConnectionCount = 8;

    // The statements every job runs, compiled once per connection.
    private static readonly Statement InsertBatch = new(
        "INSERT INTO batches(batch_id, created_at) VALUES (@batchId, @now) ON CONFLICT(batch_id) DO NOTHING",
        "@batchId", "@now");

    private static readonly Statement InsertJob = new(
        """
        INSERT INTO jobs(job_id, batch_id, custom_id, model_group, tenant, priority, session_key, deadline, body,
                         state, est_prompt_tokens, max_tokens, created_at, updated_at, url, body_traits, body_metadata)
        VALUES (@jobId, @batchId, @customId, @modelGroup, @tenant, @priority, @sessionKey, @deadline, @body,
                'queued', @estPromptTokens, @maxTokens, @now, @now, @url, @bodyTraits, @bodyMetadata)
        ON CONFLICT DO NOTHING
        """,
        "@jobId", "@batchId", "@customId", "@modelGroup", "@tenant", "@priority", "@sessionKey", "@deadline", "@body",
        "@estPromptTokens", "@maxTokens", "@now", "@url", "@bodyTraits", "@bodyMetadata");

    // The job by its id, else by its batch and custom id: each part a lookup in its own unique index,
    // whatever the table's size when the statement was planned. Asked as one condition with OR,
    // PostgreSQL plans a prepared statement once for a small table, as a sequential scan under the
    // LIMIT, and keeps that plan while the table grows (until it is next analyzed): every job's intake
    // then read every job.
    private static readonly Statement StoredJob = new(
        $"""
        SELECT {JobColumns} FROM jobs WHERE job_id = @jobId
        UNION ALL
        SELECT {JobColumns} FROM jobs WHERE batch_id = @batchId AND custom_id = @customId
        LIMIT 1
        """,
        "@jobId", "@batchId", "@customId");

    private const string MarkDispatchedSql = """
        UPDATE jobs SET state = 'dispatched', deployment_id = @deploymentId, attempts = @attempt,
          quota_seq = @quotaSeq, route_reason = @reason, dispatched_at = @now, updated_at = @now, parked_at = NULL, laned_at = NULL, lane = NULL
        WHERE job_id = @jobId AND state NOT IN ('succeeded', 'failed')
          -- Cast: PostgreSQL cannot tell the type of a parameter that is only tested for NULL.
          AND ((CAST(@replacing AS BIGINT) IS NULL AND attempts < @attempt
                -- No new attempt of a paused, cancelled or expired batch starts, whatever a
                -- dispatcher's view of the batch was when it routed the job.
                AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = jobs.batch_id
                                  AND (b.control IS NOT NULL OR b.expires_at <= @now)))
            OR (CAST(@replacing AS BIGINT) IS NOT NULL AND attempts = @attempt AND COALESCE(quota_seq, 0) = @replacing
                AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = @jobId AND a.attempt = @attempt)))
          -- With several shares, only the share's current owner claims: a process whose epoch moved on is fenced off.
          {fence}
        """;

    // A write under a share's fence (several active dispatchers): it changes nothing unless the
    // share's epoch in the ledger is still the caller's. No fence given (null epoch), no condition.
    private const string FenceSql = """
        AND (CAST(@epoch AS BIGINT) IS NULL
               OR EXISTS (SELECT 1 FROM dispatch_shares s WHERE s.share = @share AND s.epoch = @epoch{keepRow}))
        """;

    private static readonly Statement InsertAttempt = new(
        """
        INSERT INTO attempts(job_id, attempt, deployment_id, error_kind, status_code, message, latency_ms, provider_ms,
                             prompt_tokens, completion_tokens, cached_tokens, recorded_at, dispatched_at, quota_seq)
        VALUES (@jobId, @attempt, @deploymentId, @errorKind, @statusCode, @message, @latencyMs, @providerMs,
                @promptTokens, @completionTokens, @cachedTokens, @now,
                -- The job's send time and reservation are this attempt's until the next attempt is marked.
                (SELECT dispatched_at FROM jobs WHERE job_id = @jobId AND attempts = @attempt AND deployment_id = @deploymentId),
                (SELECT quota_seq FROM jobs WHERE job_id = @jobId AND attempts = @attempt AND deployment_id = @deploymentId))
        ON CONFLICT(job_id, attempt) DO NOTHING
        """,
        "@jobId", "@attempt", "@deploymentId", "@errorKind", "@statusCode", "@message", "@latencyMs", "@providerMs",
        "@promptTokens", "@completionTokens", "@cachedTokens", "@now");

    private const string CompleteSql = """
        UPDATE jobs SET state = @state, deployment_id = COALESCE(@deploymentId, deployment_id),
          attempts = CASE WHEN attempts > @attempts THEN attempts ELSE @attempts END, response = @response, prompt_tokens = @promptTokens,
          completion_tokens = @completionTokens, cost = @cost, cost_exact = @costExact, error_kind = @errorKind,
          error_message = @errorMessage, status_code = @statusCode, request_id = @requestId,
          latency_ms = @latencyMs, completed_at = @now, updated_at = @now
        WHERE job_id = @jobId AND state NOT IN ('succeeded', 'failed')
          -- An ending routing decided is fenced as its claim would be; a reported outcome is not.
          {fence}
        """;

    private static readonly Statement JobById = new($"SELECT {JobColumns} FROM jobs WHERE job_id = @jobId", "@jobId");

    private readonly LedgerDialect _dialect;
    private readonly Statement _markDispatched;
    private readonly Statement _complete;
    private readonly TimeProvider _time;
    private readonly LedgerWriter _writer;
    private readonly ReadConnections _readers;
    private readonly ResultMarks _marks;
    private readonly Func<string, Exception?>? _faults;

    /// <summary>Opens (and, a SQLite file, creates when missing) the ledger named by the options.</summary>
    public JobLedger(IOptions<LedgerOptions> options, TimeProvider time)
    {
        _dialect = LedgerDialect.Create(options.Value);
        var fenceSql = FenceSql.Replace("{keepRow}", _dialect.KeepRow, StringComparison.Ordinal);
        _markDispatched = new Statement(
            MarkDispatchedSql.Replace("{fence}", fenceSql, StringComparison.Ordinal),
            "@jobId", "@deploymentId", "@attempt", "@quotaSeq", "@reason", "@replacing", "@now", "@share", "@epoch");
        _complete = new Statement(
            CompleteSql.Replace("{fence}", fenceSql, StringComparison.Ordinal),
            "@state", "@jobId", "@deploymentId", "@attempts", "@response", "@promptTokens", "@completionTokens", "@cost", "@costExact",
            "@errorKind", "@errorMessage", "@statusCode", "@requestId", "@latencyMs", "@now", "@share", "@epoch");
        _time = time;
        FilePath = Path.GetFullPath(options.Value.Path);
        _writer = new LedgerWriter(_dialect);
        _readers = new ReadConnections(_dialect.OpenAsync, ReadConnectionCount);
        _marks = new ResultMarks(write => WriteAsync(write, CancellationToken.None, nameof(MarkResultPublishedAsync)));
    }

    /// <summary>
    /// Opens the ledger with <paramref name="faults"/> asked before every write, by the name of the
    /// method writing; an exception it returns fails that write alone, as SQLite's own would.
    /// For tests that need the ledger to fail for a moment.
    /// </summary>
    internal JobLedger(IOptions<LedgerOptions> options, TimeProvider time, Func<string, Exception?> faults)
        : this(options, time)
    {
        _faults = faults;
    }

    /// <summary>
    /// The absolute path of the SQLite file (<see cref="LedgerOptions.Path"/>); with PostgreSQL, where
    /// what is kept beside the ledger (a run's lock, the Batch API's files) is kept.
    /// </summary>
    public string FilePath { get; }

    /// <summary>Where the ledger is, for messages: the SQLite file, or the PostgreSQL server and database, never a password.</summary>
    public string Location => _dialect.Location;

    /// <summary>Creates the schema if needed and adds what a newer version added to it. Safe to call from several processes.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        await WriteAsync(
            async (c, t) =>
            {
                await _dialect.LockSchemaAsync(c, t);
                await c.ExecuteAsync(new CommandDefinition(_dialect.Schema, cancellationToken: t));
                await Schema.AddMissingColumnsAsync(c, _dialect, t);
                return 0;
            },
            ct);
    }

    /// <summary>Records a batch's size and source (first announcement wins) and returns nothing.</summary>
    public Task UpsertBatchAsync(string batchId, int? totalJobs, string? source, string? sourceDigest, CancellationToken ct) =>
        UpsertBatchAsync(batchId, totalJobs, source, sourceDigest, null, ct);

    /// <summary>
    /// Records a batch's size, source and completion window (first announcement wins): the batch
    /// expires <paramref name="completionWindow"/> after now, when one is given.
    /// </summary>
    public Task UpsertBatchAsync(string batchId, int? totalJobs, string? source, string? sourceDigest, TimeSpan? completionWindow, CancellationToken ct) =>
        UpsertBatchAsync(batchId, totalJobs, source, sourceDigest, completionWindow, null, ct);

    /// <summary>
    /// Records a batch's size, source, completion window and metadata (first announcement wins, for
    /// the metadata the first that carries any): the batch expires <paramref name="completionWindow"/>
    /// after now, when one is given.
    /// </summary>
    public Task UpsertBatchAsync(
        string batchId,
        int? totalJobs,
        string? source,
        string? sourceDigest,
        TimeSpan? completionWindow,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO batches(batch_id, total_jobs, source, source_digest, created_at, expires_at, metadata)
                VALUES (@batchId, @totalJobs, @source, @sourceDigest, @now, @expiresAt, @metadata)
                ON CONFLICT(batch_id) DO UPDATE SET
                  total_jobs = COALESCE(batches.total_jobs, excluded.total_jobs),
                  source = COALESCE(batches.source, excluded.source),
                  source_digest = COALESCE(batches.source_digest, excluded.source_digest),
                  expires_at = COALESCE(batches.expires_at, excluded.expires_at),
                  metadata = COALESCE(batches.metadata, excluded.metadata)
                """,
                new
                {
                    batchId, totalJobs, source, sourceDigest, now = Now(),
                    expiresAt = completionWindow is { } window ? (_time.GetUtcNow() + window).ToString("O") : null,
                    metadata = StoredMetadata.ToText(metadata),
                },
                cancellationToken: t)),
            ct);

    /// <summary>
    /// Records a batch refused as a whole when it was created (<see cref="BatchControl.Failed"/>):
    /// it has no jobs and is ended from the start, so it is listed with the others and no command
    /// applies to it. A batch of that id recorded already is left as it is.
    /// </summary>
    public Task RecordFailedBatchAsync(string batchId, string? source, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO batches(batch_id, total_jobs, source, created_at, control, control_at, metadata)
                VALUES (@batchId, 0, @source, @now, @failed, @now, @metadata)
                ON CONFLICT(batch_id) DO NOTHING
                """,
                new { batchId, source, now = Now(), failed = BatchControl.Failed, metadata = StoredMetadata.ToText(metadata) },
                cancellationToken: t)),
            ct);

    /// <summary>
    /// The latest batch from the file whose SHA-256 is <paramref name="sourceDigest"/> that has not
    /// ended: some of its jobs are unfinished, or fewer jobs were recorded than it announced. Null
    /// when every batch of that file ended (or none exists).
    /// </summary>
    public async Task<BatchStatus?> FindUnfinishedBatchAsync(string sourceDigest, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<BatchRow>(new CommandDefinition(
            BatchStatusSql + """
             WHERE b.source_digest = @sourceDigest AND (b.control IS NULL OR b.control = 'paused')
            GROUP BY b.batch_id
            HAVING COUNT(CASE WHEN j.state IN ('queued', 'dispatched') THEN 1 END) > 0 OR COUNT(j.job_id) < COALESCE(b.total_jobs, 0)
            ORDER BY b.created_at DESC
            """,
            new { sourceDigest },
            cancellationToken: ct));
        return row?.ToStatus();
    }

    /// <summary>
    /// Ends every unfinished job of <paramref name="batchId"/> as failed with
    /// <see cref="Contracts.ErrorKind.BatchCancelled"/> and <paramref name="reason"/>, in one write.
    /// Only for a batch nothing works on any more (its process is gone); returns how many ended.
    /// </summary>
    public Task<int> CancelUnfinishedJobsAsync(string batchId, string reason, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                // Recorded as cancelled too, so it reads so and no attempt of it starts again.
                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE batches SET control = @control, control_at = @now, control_reason = @reason WHERE batch_id = @batchId AND (control IS NULL OR control = 'paused')",
                    new { batchId, control = BatchControl.Cancelled, now = Now(), reason },
                    cancellationToken: t));
                return await c.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE jobs SET state = 'failed', error_kind = @kind, error_message = @reason, updated_at = @now, completed_at = @now
                    WHERE batch_id = @batchId AND state IN ('queued', 'dispatched')
                    """,
                    new { batchId, kind = nameof(Contracts.ErrorKind.BatchCancelled), reason, now = Now() },
                    cancellationToken: t));
            },
            ct);

    /// <summary>The batch's control and completion window as the ledger holds them now; null for an unknown batch.</summary>
    public async Task<BatchControlRow?> GetBatchControlAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<BatchControlRow>(new CommandDefinition(
            "SELECT batch_id AS BatchId, control AS Control, control_at AS ControlAt, expires_at AS ExpiresAt, metadata AS Metadata FROM batches WHERE batch_id = @batchId",
            new { batchId },
            cancellationToken: ct));
    }

    /// <summary>
    /// Pauses a batch that runs: returns true when this call paused it. A batch cancelled or
    /// expired, already paused, or whose every announced job ended, is left as it is.
    /// </summary>
    public Task<bool> PauseBatchAsync(string batchId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE batches SET control = @paused, control_at = @now WHERE batch_id = @batchId AND control IS NULL AND " + NotComplete,
                new { batchId, paused = BatchControl.Paused, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>Resumes a paused batch: returns true when this call resumed it; any other batch is left as it is.</summary>
    public Task<bool> ResumeBatchAsync(string batchId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE batches SET control = NULL, control_at = @now WHERE batch_id = @batchId AND control = @paused",
                new { batchId, paused = BatchControl.Paused, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// Ends a batch as <paramref name="control"/> (<see cref="BatchControl.Cancelled"/> or
    /// <see cref="BatchControl.Expired"/>) unless it already ended (every announced job ended, or
    /// it was cancelled or expired before), and in the same write ends every job of it that no
    /// attempt is under way for (<see cref="EndUnstartedJobsAsync"/>) as failed with
    /// <paramref name="kind"/> and <paramref name="reason"/>. Asked again for a batch already so
    /// ended, it ends the jobs recorded since. Returns whether the batch is (now) so ended, and
    /// how many jobs this call ended.
    /// </summary>
    public Task<(bool Ended, int Jobs)> EndBatchAsync(string batchId, string control, Contracts.ErrorKind kind, string reason, CancellationToken ct) =>
        EndBatchAsync(batchId, control, kind, reason, null, ct);

    /// <summary>
    /// As <see cref="EndBatchAsync(string, string, Contracts.ErrorKind, string, CancellationToken)"/>,
    /// keeping <paramref name="why"/> (the reason a cancel gave; null for none) with the batch's
    /// control when this call ends it, so status shows why the batch ended.
    /// </summary>
    public Task<(bool Ended, int Jobs)> EndBatchAsync(string batchId, string control, Contracts.ErrorKind kind, string reason, string? why, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                var now = Now();
                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE batches SET control = @control, control_at = @now, control_reason = @why WHERE batch_id = @batchId AND (control IS NULL OR control = 'paused') AND " + NotComplete,
                    new { batchId, control, now, why },
                    cancellationToken: t));
                var current = await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                    "SELECT control FROM batches WHERE batch_id = @batchId", new { batchId }, cancellationToken: t));
                if (current != control)
                {
                    return (false, 0);
                }

                var jobs = await c.ExecuteAsync(new CommandDefinition(
                    EndUnstartedSql + " WHERE batch_id = @batchId AND " + NotUnderWay,
                    new { batchId, jobId = (string?)null, kind = kind.ToString(), reason, now },
                    cancellationToken: t));
                return (true, jobs);
            },
            ct);

    /// <summary>
    /// Marks a batch expired once its completion window has ended, unless it was cancelled or
    /// expired before; ends none of its jobs (<see cref="EndBatchAsync"/> does). Returns whether
    /// this call marked it.
    /// </summary>
    public Task<bool> MarkBatchExpiredAsync(string batchId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                var now = Now();
                return await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE batches SET control = @expired, control_at = @now WHERE batch_id = @batchId AND (control IS NULL OR control = 'paused') AND expires_at <= @now",
                    new { batchId, expired = BatchControl.Expired, now },
                    cancellationToken: t)) == 1;
            },
            ct);

    /// <summary>
    /// Ends one job as failed with <paramref name="kind"/> and <paramref name="reason"/> when no
    /// attempt of it is under way: it is queued, or its latest attempt has its outcome recorded.
    /// Returns true only for the call that ended it; a job ended already, or whose attempt is
    /// under way (it finishes first), is left as it is.
    /// </summary>
    public Task<bool> EndUnstartedJobAsync(string jobId, Contracts.ErrorKind kind, string reason, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                EndUnstartedSql + " WHERE job_id = @jobId AND " + NotUnderWay,
                new { jobId, kind = kind.ToString(), reason, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// Puts a job of a paused batch aside: queued in the ledger with nothing holding it, until the
    /// batch is resumed (<see cref="ListParkedJobsAsync"/>). Only while the batch is paused and no
    /// attempt of the job is under way; returns false, changing nothing, otherwise (the batch was
    /// resumed meanwhile, or the job ended).
    /// </summary>
    public Task<bool> ParkJobAsync(string jobId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs SET state = 'queued', parked_at = @now, updated_at = @now WHERE job_id = @jobId AND " + NotUnderWay
                    + " AND EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = jobs.batch_id AND b.control = @paused)",
                new { jobId, paused = BatchControl.Paused, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// Notes that the next attempt of <paramref name="jobId"/> waits in dispatch lane
    /// <paramref name="lane"/>: the reconciler leaves it there. Changes nothing once an attempt
    /// after <paramref name="attempts"/> was claimed, or the job ended, meanwhile.
    /// </summary>
    public Task<bool> MarkLanedAsync(string jobId, int attempts, int lane, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs SET laned_at = @now, lane = @lane WHERE job_id = @jobId AND attempts = @attempts AND " + NotUnderWay,
                new { jobId, attempts, lane, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// The jobs of <paramref name="batchId"/> put aside while it was paused and not sent on since,
    /// in job id order after <paramref name="afterJobId"/>, at most <paramref name="limit"/>: a
    /// page, so a large batch is resumed without holding its backlog in memory.
    /// </summary>
    public async Task<IReadOnlyList<UnfinishedJob>> ListParkedJobsAsync(string batchId, string afterJobId, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<UnfinishedJob>(new CommandDefinition(
            UnfinishedJobSql + """
             WHERE j.batch_id = @batchId AND j.state = 'queued' AND j.parked_at IS NOT NULL AND j.job_id > @afterJobId
            ORDER BY j.job_id LIMIT @limit
            """,
            new { batchId, afterJobId, limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Ids of the jobs of <paramref name="batchId"/> that ended and whose result event has not gone
    /// out, in job id order after <paramref name="afterJobId"/>, at most <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListUnpublishedEndedJobsAsync(string batchId, string afterJobId, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<string>(new CommandDefinition(
            """
            SELECT job_id FROM jobs
            WHERE batch_id = @batchId AND state IN ('succeeded', 'failed') AND result_published = 0 AND job_id > @afterJobId
            ORDER BY job_id LIMIT @limit
            """,
            new { batchId, afterJobId, limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Jobs that ended before <paramref name="endedBefore"/> and whose result event was never marked
    /// sent, the longest ended first, at most <paramref name="limit"/>, each with its model group.
    /// </summary>
    public async Task<IReadOnlyList<(string JobId, string ModelGroup)>> ListUnpublishedEndedJobsAsync(DateTimeOffset endedBefore, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string, string)>(new CommandDefinition(
            """
            SELECT job_id, model_group FROM jobs
            WHERE state IN ('succeeded', 'failed') AND result_published = 0 AND completed_at < @before
            ORDER BY completed_at LIMIT @limit
            """,
            new { before = endedBefore.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture), limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Batches whose completion window ended at or before <paramref name="now"/> and that have not
    /// ended: not cancelled or expired yet, and with jobs unfinished or still to arrive.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListDueExpiriesAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<string>(new CommandDefinition(
            "SELECT batch_id FROM batches WHERE expires_at IS NOT NULL AND expires_at <= @now AND (control IS NULL OR control = 'paused') AND "
                + NotComplete + " ORDER BY expires_at",
            new { now = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture) },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Records <paramref name="command"/> (<see cref="BatchRequestCommand"/>) on
    /// <paramref name="batchId"/> for the dispatcher running on this ledger to apply, and returns
    /// the request's id. For a dispatcher that no broker reaches: the embedded <c>run</c>.
    /// </summary>
    public Task<string> RecordBatchRequestAsync(string batchId, string command, string? reason, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        if (!BatchRequestCommand.IsKnown(command))
        {
            throw new ArgumentException($"'{command}' is not a batch command; expected cancel, pause or resume", nameof(command));
        }

        var requestId = Guid.NewGuid().ToString("N");
        return WriteAsync(
            async (c, t) =>
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO batch_requests(request_id, batch_id, command, reason, requested_at) VALUES (@requestId, @batchId, @command, @reason, @now)",
                    new { requestId, batchId, command, reason = string.IsNullOrWhiteSpace(reason) ? null : reason, now = Now() },
                    cancellationToken: t));
                return requestId;
            },
            ct);
    }

    /// <summary>
    /// The requests not yet applied, oldest first (so a pause and the resume after it apply in
    /// order), at most <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<BatchRequest>> ListPendingBatchRequestsAsync(int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<BatchRequest>(new CommandDefinition(
            $"""
            SELECT request_id AS RequestId, batch_id AS BatchId, command AS Command, reason AS Reason, requested_at AS RequestedAt
            FROM batch_requests WHERE applied_at IS NULL ORDER BY requested_at, {_dialect.InsertionOrder} LIMIT @limit
            """,
            new { limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Claims a request for this caller to apply, marking it applied: true only for the one call
    /// that claims it, so of two dispatchers (or two passes) one applies it and the other does nothing.
    /// </summary>
    public Task<bool> ClaimBatchRequestAsync(string requestId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE batch_requests SET applied_at = @now WHERE request_id = @requestId AND applied_at IS NULL",
                new { requestId, now = Now() },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// Gives back a request claimed by <see cref="ClaimBatchRequestAsync"/> that could not be
    /// applied (the ledger failed under it), so a later pass claims it again.
    /// </summary>
    public Task ReleaseBatchRequestAsync(string requestId, CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteAsync(new CommandDefinition(
                "UPDATE batch_requests SET applied_at = NULL WHERE request_id = @requestId",
                new { requestId },
                cancellationToken: t)),
            ct);

    /// <summary>
    /// Records a job unless one with the same job id, or the same (batch, custom id), exists;
    /// returns the stored job either way, so a redelivery carries on where the first delivery
    /// stopped, and whether this call recorded it. A blank batch id is none: such a job belongs to
    /// no batch (<see cref="GetLooseJobsAsync"/>).
    /// </summary>
    public Task<AcceptedJob> AcceptJobAsync(NewJob job, CancellationToken ct)
    {
        var now = Now();
        var batchId = string.IsNullOrWhiteSpace(job.BatchId) ? null : job.BatchId;
        var insertJob = StatementCall.Execute(
            InsertJob,
            job.JobId, batchId, job.CustomId, job.ModelGroup, job.Tenant, job.Priority, job.SessionKey,
            job.Deadline?.ToString("O"), job.Body, job.EstPromptTokens, job.MaxTokens, now, job.Url, job.BodyTraits, job.BodyMetadata);
        var storedJob = StatementCall.Query<JobRow>(StoredJob, job.JobId, batchId, job.CustomId);
        return WriteAsync(
            batchId is null ? [insertJob, storedJob] : [StatementCall.Execute(InsertBatch, batchId, now), insertJob, storedJob],
            r => new AcceptedJob(
                r[^1] as JobRow ?? throw new InvalidOperationException($"job {job.JobId} was neither recorded nor found"),
                Changed(r[^2]) == 1),
            ct);
    }

    /// <summary>
    /// Claims attempt <paramref name="attempt"/> of a job for a deployment: marks it sent, with the
    /// quota reservation made for it (settled when the outcome arrives) and why routing chose it.
    /// A new attempt (<paramref name="replacing"/> null) is claimed only while the job has fewer
    /// attempts, so of two deliveries racing to send the same attempt only one wins. With
    /// <paramref name="replacing"/>, the quota sequence of the attempt's current claim (0 for none),
    /// the attempt already claimed is claimed again, as its first send may not have happened; only
    /// while that claim stands and the attempt has no outcome recorded, so of two deliveries
    /// replacing the same claim only one wins too, and none replaces a claim already answered.
    /// Returns false, changing nothing, when the claim fails or the job already ended.
    /// </summary>
    public Task<bool> MarkDispatchedAsync(string jobId, string deploymentId, int attempt, long quotaSeq, string? reason, long? replacing, CancellationToken ct) =>
        MarkDispatchedAsync(jobId, deploymentId, attempt, quotaSeq, reason, replacing, fence: null, ct);

    /// <summary>
    /// Claims an attempt as <see cref="MarkDispatchedAsync(string, string, int, long, string?, long?, CancellationToken)"/>
    /// does, and with a <paramref name="fence"/> (several active dispatchers) only while the share's
    /// epoch in the ledger is still the one the caller took it over with
    /// (<see cref="ClaimShareAsync"/>): a process another has taken the share from claims nothing.
    /// </summary>
    public Task<bool> MarkDispatchedAsync(string jobId, string deploymentId, int attempt, long quotaSeq, string? reason, long? replacing, ShareFence? fence, CancellationToken ct) =>
        WriteAsync(
            [StatementCall.Execute(_markDispatched, jobId, deploymentId, attempt, quotaSeq, reason, replacing, Now(), fence?.Share, fence?.Epoch)],
            r => Changed(r[0]) == 1,
            ct);

    /// <summary>
    /// Claims an attempt as <see cref="MarkDispatchedAsync(string, string, int, long, string?, long?, CancellationToken)"/>
    /// does and, in the same write, reserves
    /// its estimate on <paramref name="hold"/>'s account: one conditional statement adds it to the
    /// account's reserved amount only while spent plus reserved plus the estimate stays within the
    /// cap, and gives back what a replaced claim held. The account's row is locked by that
    /// statement until the write commits, so dispatchers sharing a PostgreSQL ledger reserve on it
    /// one after the other and two can never both pass the cap. Nothing changes unless both the
    /// hold and the claim succeed.
    /// </summary>
    public Task<AttemptClaim> ClaimAttemptAsync(string jobId, string deploymentId, int attempt, long quotaSeq, string? reason, long? replacing, SpendHold hold, CancellationToken ct) =>
        ClaimAttemptAsync(jobId, deploymentId, attempt, quotaSeq, reason, replacing, hold, fence: null, ct);

    /// <summary>As <see cref="ClaimAttemptAsync(string, string, int, long, string?, long?, SpendHold, CancellationToken)"/>, under the share's <paramref name="fence"/>.</summary>
    public Task<AttemptClaim> ClaimAttemptAsync(string jobId, string deploymentId, int attempt, long quotaSeq, string? reason, long? replacing, SpendHold hold, ShareFence? fence, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                var period = PeriodText(hold.PeriodStart);
                await EnsureSpendAccountAsync(c, t, hold.CapKey, period);
                var delta = hold.Estimate - hold.Replaced;
                if (await c.ExecuteAsync(new CommandDefinition(ReserveSpendSql, new { key = hold.CapKey, period, delta, limit = hold.Limit }, cancellationToken: t)) == 0)
                {
                    return AttemptClaim.OverBudget;
                }

                if (await _markDispatched.ExecuteAsync(c, t, jobId, deploymentId, attempt, quotaSeq, reason, replacing, Now(), fence?.Share, fence?.Epoch) == 1)
                {
                    return AttemptClaim.Claimed;
                }

                await c.ExecuteAsync(new CommandDefinition(SettleSpendSql, new { key = hold.CapKey, period, estimate = delta, actual = 0m }, cancellationToken: t));
                return AttemptClaim.Refused;
            },
            ct);

    /// <summary>
    /// Takes <paramref name="share"/> over for <paramref name="owner"/>: moves its epoch on (the first
    /// owner's is 1) and returns the new epoch. From this write on, claims made under an earlier
    /// epoch are refused (<see cref="MarkDispatchedAsync(string, string, int, long, string?, long?, ShareFence?, CancellationToken)"/>).
    /// </summary>
    public Task<long> ClaimShareAsync(int share, string owner, CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO dispatch_shares(share, epoch, owner, since) VALUES (@share, 1, @owner, @now)
                ON CONFLICT(share) DO UPDATE SET epoch = dispatch_shares.epoch + 1, owner = excluded.owner, since = excluded.since, wanted_by = NULL
                RETURNING epoch
                """,
                new { share, owner, now = Now() },
                cancellationToken: t)),
            ct);

    /// <summary>Whether the share of <paramref name="fence"/> is still at the fence's epoch: no other process took it over since.</summary>
    public async Task<bool> HoldsShareAsync(ShareFence fence, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT epoch FROM dispatch_shares WHERE share = @share",
            new { share = fence.Share },
            cancellationToken: ct)) == fence.Epoch;
    }

    /// <summary>Every share's owner and epoch as the ledger holds them, by share.</summary>
    public async Task<IReadOnlyList<ShareOwner>> ListShareOwnersAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<ShareOwner>(new CommandDefinition(
            "SELECT share AS Share, epoch AS Epoch, owner AS Owner, since AS Since, wanted_by AS WantedBy FROM dispatch_shares ORDER BY share",
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// Asks the process routing <paramref name="share"/> to hand it to <paramref name="owner"/>, which
    /// prefers it; the request is cleared when the share is taken over (<see cref="ClaimShareAsync"/>).
    /// Returns false, changing nothing, when <paramref name="owner"/> owns the share or asked already.
    /// </summary>
    public Task<bool> WantShareAsync(int share, string owner, CancellationToken ct) =>
        WriteAsync(
            async (c, t) => await c.ExecuteAsync(new CommandDefinition(
                "UPDATE dispatch_shares SET wanted_by = @owner WHERE share = @share AND owner <> @owner AND (wanted_by IS NULL OR wanted_by <> @owner)",
                new { share, owner },
                cancellationToken: t)) == 1,
            ct);

    /// <summary>
    /// Records one attempt's outcome. Returns false, changing nothing, for a repeated report of
    /// the same attempt, so its quota is settled once however often the report is delivered.
    /// </summary>
    public Task<bool> RecordAttemptAsync(AttemptRow attempt, CancellationToken ct) => RecordAttemptAsync(attempt, null, ct);

    /// <summary>
    /// Records one attempt's outcome and, when it is the attempt's first report, settles
    /// <paramref name="settlement"/> on its cap's account in the same write (the estimate leaves
    /// reserved, the real cost joins spent). Returns false, changing nothing, for a repeated report.
    /// </summary>
    public Task<bool> RecordAttemptAsync(AttemptRow attempt, SpendSettlement? settlement, CancellationToken ct) =>
        settlement is null
            ? WriteAsync([InsertAttemptCall(attempt)], r => Changed(r[0]) == 1, ct)
            : WriteAsync((c, t) => InsertAttemptAsync(c, t, attempt, settlement), ct);

    /// <summary>
    /// Records a successful attempt's outcome and ends its job with <paramref name="completion"/>, in
    /// one write: what <see cref="RecordAttemptAsync(AttemptRow, SpendSettlement?, CancellationToken)"/>
    /// and then <see cref="CompleteAsync"/> do, at the cost of one. Returns whether this was the
    /// attempt's first report and whether this call ended the job; a repeated report, or a job
    /// already ended, changes nothing of that part.
    /// </summary>
    public Task<(bool FirstReport, bool Ended)> RecordSuccessAsync(AttemptRow attempt, JobCompletion completion, CancellationToken ct) =>
        RecordSuccessAsync(attempt, null, completion, ct);

    /// <summary>As <see cref="RecordSuccessAsync(AttemptRow, JobCompletion, CancellationToken)"/>, settling <paramref name="settlement"/> with a first report.</summary>
    public Task<(bool FirstReport, bool Ended)> RecordSuccessAsync(AttemptRow attempt, SpendSettlement? settlement, JobCompletion completion, CancellationToken ct) =>
        settlement is null
            ? WriteAsync([InsertAttemptCall(attempt), CompleteCall(completion)], r => (Changed(r[0]) == 1, Changed(r[1]) == 1), ct)
            : WriteAsync(async (c, t) => (await InsertAttemptAsync(c, t, attempt, settlement), await CompleteAsync(c, t, completion)), ct);

    /// <summary>
    /// Sets a tenant cap's account for the period from the ledger's jobs, in one write that first
    /// locks the account: spent is the exact cost of the tenant's jobs that succeeded in the period,
    /// reserved the estimate (<paramref name="estimateOf"/>: deployment, prompt estimate,
    /// max_tokens) of each of its jobs whose latest attempt is under way. What a crashed process
    /// held for attempts that will never report, or for an attempt a re-drive replaced, is so
    /// dropped; holds that other dispatchers commit meanwhile wait for the lock and add to the
    /// recomputed amounts.
    /// </summary>
    public Task<SpendAccount> RecomputeSpendAccountAsync(string capKey, string tenant, DateTimeOffset periodStart, Func<string, long, long, decimal> estimateOf, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                var period = PeriodText(periodStart);
                await EnsureSpendAccountAsync(c, t, capKey, period);
                // Taking the row's lock before reading the jobs: every hold committed before it is in the read.
                await c.ExecuteAsync(new CommandDefinition("UPDATE spend_accounts SET spent = spent WHERE cap_key = @key AND period_start = @period", new { key = capKey, period }, cancellationToken: t));
                var jobs = await c.QueryAsync<SpendJob>(new CommandDefinition(
                    """
                    SELECT deployment_id AS DeploymentId, model_group AS ModelGroup, tenant AS Tenant, state AS State,
                           cost_exact AS CostExact, cost AS CostReal, est_prompt_tokens AS EstPromptTokens, max_tokens AS MaxTokens
                    FROM jobs
                    WHERE tenant = @tenant AND deployment_id IS NOT NULL
                      AND ((state = 'succeeded' AND completed_at >= @period)
                           OR (state = 'dispatched' AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = jobs.job_id AND a.attempt = jobs.attempts)))
                    """,
                    new { tenant, period },
                    cancellationToken: t));
                decimal spent = 0m, reserved = 0m;
                foreach (var job in jobs)
                {
                    if (job.State == JobState.Succeeded)
                    {
                        spent += StoredCost.Read(job.CostExact, job.CostReal) ?? 0m;
                    }
                    else
                    {
                        reserved += estimateOf(job.DeploymentId, job.EstPromptTokens, job.MaxTokens);
                    }
                }

                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE spend_accounts SET spent = @spent, reserved = @reserved WHERE cap_key = @key AND period_start = @period",
                    new { key = capKey, period, spent, reserved },
                    cancellationToken: t));
                return new SpendAccount(spent, reserved);
            },
            ct);

    /// <summary>A cap's account for the period as the ledger holds it; null when none was opened.</summary>
    public async Task<SpendAccount?> GetSpendAccountAsync(string capKey, DateTimeOffset periodStart, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SpendAccount>(new CommandDefinition(
            "SELECT spent AS Spent, reserved AS Reserved FROM spend_accounts WHERE cap_key = @key AND period_start = @period",
            new { key = capKey, period = PeriodText(periodStart) },
            cancellationToken: ct));
    }

    /// <summary>
    /// Ends a job. Returns true only for the call that ended it; every later call (a redelivery,
    /// a duplicate outcome) returns false and changes nothing.
    /// </summary>
    public Task<bool> CompleteAsync(JobCompletion completion, CancellationToken ct) => CompleteAsync(completion, fence: null, ct);

    /// <summary>
    /// Ends a job as <see cref="CompleteAsync(JobCompletion, CancellationToken)"/> does and, with a
    /// <paramref name="fence"/> (an ending routing decided, with several active dispatchers), only
    /// while the share's epoch is still the caller's: a process another has taken the share from
    /// ends nothing, since what it decided from (its quotas, budgets, breakers) is no longer the share's.
    /// </summary>
    public Task<bool> CompleteAsync(JobCompletion completion, ShareFence? fence, CancellationToken ct) =>
        WriteAsync([CompleteCall(completion, fence)], r => Changed(r[0]) == 1, ct);

    /// <summary>
    /// Reopens a failed job for a replay: queued again, its error and result marker cleared, its
    /// attempt allowance counted afresh from the attempts it already had (their history stays).
    /// Returns the job as it is afterwards; a job that was not failed is returned unchanged.
    /// </summary>
    public Task<JobRow?> ReopenAsync(string jobId, CancellationToken ct) =>
        WriteAsync(
            async (c, t) =>
            {
                await c.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE jobs SET state = 'queued', error_kind = NULL, error_message = NULL, status_code = NULL,
                      result_published = 0, completed_at = NULL, attempt_base = attempts, replays = replays + 1, updated_at = @now
                    WHERE job_id = @jobId AND state = 'failed'
                    """,
                    new { jobId, now = Now() },
                    cancellationToken: t));
                return await c.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
                    $"SELECT {JobColumns} FROM jobs WHERE job_id = @jobId",
                    new { jobId },
                    cancellationToken: t));
            },
            ct);

    /// <summary>
    /// Notes that the job's result event went out, so a redelivery does not send it again. The marks
    /// asked for together are written together, one statement for many jobs, in the writer's next
    /// transaction (<see cref="ResultMarks"/>); the task completes once this one is committed.
    /// </summary>
    public Task MarkResultPublishedAsync(string jobId, CancellationToken ct) => _marks.MarkAsync(jobId, ct);

    /// <summary>
    /// Saves every deployment's bucket levels, so a restarted dispatcher does not start with full
    /// buckets, and its provider's pause, so status and progress read from the ledger show it.
    /// </summary>
    public Task SaveQuotaLevelsAsync(IReadOnlyList<QuotaLevel> levels, CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO quota_state(deployment_id, requests, tokens, saved_at, paused_until, pause_reason, pause_waiting, input_tokens, output_tokens)
                VALUES (@DeploymentId, @Requests, @Tokens, @SavedAt, @PausedUntil, @PauseReason, @PauseWaiting, @InputTokens, @OutputTokens)
                ON CONFLICT(deployment_id) DO UPDATE SET requests = excluded.requests, tokens = excluded.tokens, saved_at = excluded.saved_at,
                  paused_until = excluded.paused_until, pause_reason = excluded.pause_reason, pause_waiting = excluded.pause_waiting,
                  input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens
                """,
                levels,
                cancellationToken: t)),
            ct);

    /// <summary>Records a deployment's breaker state as the dispatcher's gate last changed it.</summary>
    public Task SaveBreakerAsync(BreakerRow breaker, CancellationToken ct) =>
        WriteAsync(
            (c, t) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO breakers(deployment_id, state, reason, changed_at) VALUES (@DeploymentId, @State, @Reason, @ChangedAt)
                ON CONFLICT(deployment_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, changed_at = excluded.changed_at
                """,
                breaker,
                cancellationToken: t)),
            ct);

    /// <summary>Every deployment's breaker state as last recorded, by deployment id.</summary>
    public async Task<IReadOnlyList<BreakerRow>> ListBreakersAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<BreakerRow>(new CommandDefinition(
            "SELECT deployment_id AS DeploymentId, state AS State, reason AS Reason, changed_at AS ChangedAt FROM breakers ORDER BY deployment_id",
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// The attempts a restarted dispatcher refills its sliding windows from, since its providers
    /// still count them: every attempt whose outcome was recorded after <paramref name="recordedAfter"/>
    /// (retries and fallbacks of one job each count), and every attempt still under way that was
    /// sent after <paramref name="sentAfter"/>.
    /// </summary>
    public async Task<IReadOnlyList<RecentAttempt>> RecentAttemptsAsync(DateTimeOffset recordedAfter, DateTimeOffset sentAfter, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        // An attempt's tokens are what its settle counted: what a success used (what it reserved
        // when it reported nothing), none for a failure. One under way counts what it reserved:
        // the prompt estimate as input, max_tokens as output.
        var rows = await c.QueryAsync<RecentAttempt>(new CommandDefinition(
            """
            SELECT a.deployment_id AS DeploymentId, a.quota_seq AS Sequence, a.dispatched_at AS DispatchedAt,
                   a.recorded_at AS RecordedAt, a.latency_ms AS LatencyMs, a.provider_ms AS ProviderMs,
                   CASE WHEN a.error_kind <> 'None' THEN 0
                        WHEN a.prompt_tokens IS NULL OR a.completion_tokens IS NULL THEN j.est_prompt_tokens
                        ELSE a.prompt_tokens END AS InputTokens,
                   CASE WHEN a.error_kind <> 'None' THEN 0
                        WHEN a.prompt_tokens IS NULL OR a.completion_tokens IS NULL THEN j.max_tokens
                        ELSE a.completion_tokens END AS OutputTokens,
                   CASE WHEN a.error_kind <> 'None' OR a.prompt_tokens IS NULL OR a.completion_tokens IS NULL THEN 0
                        ELSE COALESCE(a.cached_tokens, 0) END AS CachedTokens
            FROM attempts a JOIN jobs j ON j.job_id = a.job_id
            WHERE a.recorded_at > @recordedAfter
            UNION ALL
            SELECT j.deployment_id, j.quota_seq, j.dispatched_at, NULL, NULL, NULL, j.est_prompt_tokens, j.max_tokens, 0
            FROM jobs j
            WHERE j.state = 'dispatched' AND j.deployment_id IS NOT NULL AND j.dispatched_at > @sentAfter
              AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = j.job_id AND a.attempt = j.attempts)
            """,
            new
            {
                recordedAfter = recordedAfter.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                sentAfter = sentAfter.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The bucket levels last saved, with each deployment's pause as saved.</summary>
    public async Task<IReadOnlyList<QuotaLevel>> LoadQuotaLevelsAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<QuotaStateRow>(new CommandDefinition(QuotaStateSql, cancellationToken: ct));
        return rows.Select(r => new QuotaLevel(r.DeploymentId, r.Requests, r.Tokens, r.SavedAt)
        {
            PausedUntil = r.PausedUntil,
            PauseReason = r.PauseReason,
            PauseWaiting = (int)r.PauseWaiting,
            InputTokens = r.InputTokens,
            OutputTokens = r.OutputTokens,
        }).ToList();
    }

    /// <summary>
    /// The deployments a provider has paused at <paramref name="now"/>, as the dispatcher last
    /// saved them (twice a second), by deployment id. A pause whose end has passed is none, so a
    /// dispatcher that stopped while a deployment was paused leaves no pause behind for long.
    /// </summary>
    public async Task<IReadOnlyList<DeploymentPause>> ListPausesAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<QuotaStateRow>(new CommandDefinition(
            QuotaStateSql + " WHERE paused_until IS NOT NULL ORDER BY deployment_id",
            cancellationToken: ct));
        var pauses = new List<DeploymentPause>();
        foreach (var row in rows)
        {
            if (DateTimeOffset.TryParse(row.PausedUntil, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var until)
                && until > now)
            {
                pauses.Add(new DeploymentPause(row.DeploymentId, until, row.PauseReason, (int)row.PauseWaiting));
            }
        }

        return pauses;
    }

    /// <summary>
    /// What counts against spend caps: the cost of jobs that succeeded since <paramref name="since"/>,
    /// and the estimates of jobs whose attempt is under way (sent, no outcome yet; a job waiting for a
    /// retry holds nothing until the retry is routed and reserves), per deployment, group and tenant. Costs are summed
    /// here as decimals, exactly, as SQLite could sum them only as doubles.
    /// </summary>
    public async Task<IReadOnlyList<SpendRow>> SpendSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = c.QueryUnbufferedAsync<SpendJob>(
            """
            SELECT deployment_id AS DeploymentId, model_group AS ModelGroup, tenant AS Tenant, state AS State,
                   cost_exact AS CostExact, cost AS CostReal, est_prompt_tokens AS EstPromptTokens, max_tokens AS MaxTokens
            FROM jobs
            WHERE deployment_id IS NOT NULL
              AND ((state = 'succeeded' AND completed_at >= @since)
                   OR (state = 'dispatched' AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = jobs.job_id AND a.attempt = jobs.attempts)))
            """,
            new { since = since.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });
        var sums = new Dictionary<(string, string, string?, string), SpendRow>();
        await foreach (var job in rows.WithCancellation(ct))
        {
            var key = (job.DeploymentId, job.ModelGroup, job.Tenant, job.State);
            var sum = sums.GetValueOrDefault(key) ?? new SpendRow { DeploymentId = job.DeploymentId, ModelGroup = job.ModelGroup, Tenant = job.Tenant, State = job.State };
            sums[key] = sum with
            {
                Cost = sum.Cost + (StoredCost.Read(job.CostExact, job.CostReal) ?? 0m),
                EstPromptTokens = sum.EstPromptTokens + job.EstPromptTokens,
                MaxTokens = sum.MaxTokens + job.MaxTokens,
            };
        }

        return [.. sums.Values];
    }

    /// <summary>The job with this id, if recorded.</summary>
    public Task<JobRow?> GetJobAsync(string jobId, CancellationToken ct) =>
        _readers.RunAsync((c, t) => JobById.QueryFirstOrDefaultAsync<JobRow>(c, t, jobId), ct);

    /// <summary>Every recorded attempt of a job, in order.</summary>
    public async Task<IReadOnlyList<AttemptRow>> GetAttemptsAsync(string jobId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<AttemptRow>(new CommandDefinition(
            """
            SELECT job_id AS JobId, attempt AS Attempt, deployment_id AS DeploymentId, error_kind AS ErrorKind,
                   status_code AS StatusCode, message AS Message, latency_ms AS LatencyMs,
                   provider_ms AS ProviderMs, prompt_tokens AS PromptTokens, completion_tokens AS CompletionTokens,
                   cached_tokens AS CachedTokens
            FROM attempts WHERE job_id = @jobId ORDER BY attempt
            """,
            new { jobId },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>A batch's size and its jobs counted by state; null for an unknown batch.</summary>
    public async Task<BatchStatus?> GetBatchStatusAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition(
            BatchStatusSql + " WHERE b.batch_id = @batchId GROUP BY b.batch_id",
            new { batchId },
            cancellationToken: ct));
        return row?.ToStatus();
    }

    /// <summary>
    /// Where a batch stands, its jobs counted by state from the ledger's index alone, without the
    /// token and cost sums (<see cref="BatchStatus.PromptTokens"/>, <see cref="BatchStatus.CompletionTokens"/>
    /// and <see cref="BatchStatus.Cost"/> read 0): what following a long batch several times a
    /// second can afford, where <see cref="GetBatchStatusAsync"/> reads every job's row.
    /// </summary>
    public async Task<BatchStatus?> GetBatchCountsAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition(
            """
            SELECT b.batch_id AS BatchId, b.total_jobs AS TotalJobs, b.source AS Source, b.created_at AS CreatedAt,
                   b.control AS Control, b.expires_at AS ExpiresAt, b.metadata AS Metadata, b.control_reason AS ControlReason,
                   (SELECT COUNT(*) FROM jobs j WHERE j.batch_id = b.batch_id AND j.state = 'queued') AS Queued,
                   (SELECT COUNT(*) FROM jobs j WHERE j.batch_id = b.batch_id AND j.state = 'dispatched') AS Dispatched,
                   (SELECT COUNT(*) FROM jobs j WHERE j.batch_id = b.batch_id AND j.state = 'succeeded') AS Succeeded,
                   (SELECT COUNT(*) FROM jobs j WHERE j.batch_id = b.batch_id AND j.state = 'failed') AS Failed
            FROM batches b WHERE b.batch_id = @batchId
            """,
            new { batchId },
            cancellationToken: ct));
        return row?.ToStatus();
    }

    /// <summary>Per deployment, how many of the batch's jobs it ended, most first.</summary>
    public async Task<IReadOnlyList<DeploymentShare>> GetDeploymentSharesAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<ShareRow>(new CommandDefinition(
            """
            SELECT COALESCE(deployment_id, '(none)') AS DeploymentId,
                   COUNT(CASE WHEN state = 'succeeded' THEN 1 END) AS Succeeded, COUNT(CASE WHEN state = 'failed' THEN 1 END) AS Failed
            FROM jobs WHERE batch_id = @batchId AND state IN ('succeeded', 'failed')
            GROUP BY deployment_id ORDER BY COUNT(*) DESC
            """,
            new { batchId },
            cancellationToken: ct));
        return rows.Select(r => new DeploymentShare(r.DeploymentId, r.Succeeded, r.Failed)).ToList();
    }

    /// <summary>Per deployment, how many jobs it ended across every batch, most first.</summary>
    public async Task<IReadOnlyList<DeploymentShare>> ListDeploymentSharesAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        // Read into a settable row: on an empty table SQLite gives the SUM columns no type, and a
        // positional record's constructor would then not match.
        var rows = await c.QueryAsync<ShareRow>(new CommandDefinition(
            """
            SELECT deployment_id AS DeploymentId, COUNT(CASE WHEN state = 'succeeded' THEN 1 END) AS Succeeded,
                   COUNT(CASE WHEN state = 'failed' THEN 1 END) AS Failed
            FROM jobs WHERE deployment_id IS NOT NULL AND state IN ('succeeded', 'failed')
            GROUP BY deployment_id ORDER BY COUNT(*) DESC
            """,
            cancellationToken: ct));
        return rows.Select(r => new DeploymentShare(r.DeploymentId, r.Succeeded, r.Failed)).ToList();
    }

    /// <summary>Failed (dead-lettered) jobs, oldest failure first, of one batch or of all.</summary>
    public async Task<IReadOnlyList<JobRow>> ListFailedJobsAsync(string? batchId, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<JobRow>(new CommandDefinition(
            $"""
            SELECT {JobColumns} FROM jobs
            WHERE state = 'failed' AND (@batchId IS NULL OR batch_id = @batchId)
            ORDER BY completed_at, custom_id LIMIT @limit
            """,
            new { batchId, limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The state and replay count of each of the given jobs that exists.</summary>
    public async Task<IReadOnlyList<(string JobId, string State, long Replays)>> GetJobStatesAsync(IReadOnlyList<string> jobIds, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var states = new List<(string, string, long)>(jobIds.Count);
        foreach (var chunk in jobIds.Chunk(500))
        {
            states.AddRange(await c.QueryAsync<(string, string, long)>(new CommandDefinition(
                $"SELECT job_id, state, replays FROM jobs WHERE {_dialect.InList("job_id", "@chunk")}",
                new { chunk },
                cancellationToken: ct)));
        }

        return states;
    }

    /// <summary>
    /// How many jobs of <paramref name="batchId"/> are recorded and have not ended (queued or
    /// dispatched). Reads only those jobs' index entries, so it costs what is in flight, not the
    /// batch's size.
    /// </summary>
    public async Task<long> CountUnfinishedJobsAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM jobs WHERE batch_id = @batchId AND state IN ('queued', 'dispatched')",
            new { batchId },
            cancellationToken: ct));
    }

    /// <summary>Those of <paramref name="customIds"/> that have a job in <paramref name="batchId"/>.</summary>
    public async Task<IReadOnlyList<string>> FindRecordedCustomIdsAsync(string batchId, IReadOnlyCollection<string> customIds, CancellationToken ct)
    {
        var recorded = new List<string>();
        if (customIds.Count == 0)
        {
            return recorded;
        }

        await using var c = await OpenAsync(ct);
        foreach (var chunk in customIds.Chunk(500))
        {
            recorded.AddRange(await c.QueryAsync<string>(new CommandDefinition(
                $"SELECT custom_id FROM jobs WHERE batch_id = @batchId AND {_dialect.InList("custom_id", "@chunk")}",
                new { batchId, chunk },
                cancellationToken: ct)));
        }

        return recorded;
    }

    /// <summary>Batches, newest first: at most <paramref name="limit"/>, those older than <paramref name="after"/> when given.</summary>
    public async Task<IReadOnlyList<BatchStatus>> ListBatchesAsync(int limit, CancellationToken ct, string? after = null)
    {
        await using var c = await OpenAsync(ct);
        // An empty batch id, which an earlier version recorded as a batch, is none: its jobs are loose.
        // A page after a batch starts with the next older one (the order is total: time, then id).
        var rows = await c.QueryAsync<BatchRow>(new CommandDefinition(
            BatchStatusSql + """
             WHERE b.batch_id <> ''
              AND (@after IS NULL OR (b.created_at, b.batch_id) < (SELECT created_at, batch_id FROM batches WHERE batch_id = @after))
            GROUP BY b.batch_id ORDER BY b.created_at DESC, b.batch_id DESC LIMIT @limit
            """,
            new { limit, after },
            cancellationToken: ct));
        return rows.Select(r => r.ToStatus()).ToList();
    }

    /// <summary>
    /// The jobs of no batch (submitted without a batch id or with a blank one, which an earlier
    /// version stored as an empty one), counted by state.
    /// </summary>
    public async Task<LooseJobs> GetLooseJobsAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var counts = await c.QueryAsync<(string State, long Count)>(new CommandDefinition(
            "SELECT state, COUNT(*) FROM jobs WHERE batch_id IS NULL OR batch_id = '' GROUP BY state",
            cancellationToken: ct));
        var byState = counts.ToDictionary(r => r.State, r => r.Count, StringComparer.Ordinal);
        return new LooseJobs(
            byState.GetValueOrDefault(JobState.Queued),
            byState.GetValueOrDefault(JobState.Dispatched),
            byState.GetValueOrDefault(JobState.Succeeded),
            byState.GetValueOrDefault(JobState.Failed));
    }

    /// <summary>
    /// The ended jobs of a batch in custom-id order, streamed so a batch of any size is
    /// written out without being held in memory.
    /// </summary>
    public async IAsyncEnumerable<JobRow> ReadFinishedJobsAsync(string batchId, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = c.QueryUnbufferedAsync<JobRow>(
            $"SELECT {JobColumns} FROM jobs WHERE batch_id = @batchId AND state IN ('succeeded', 'failed') ORDER BY custom_id",
            new { batchId });
        await foreach (var row in rows.WithCancellation(ct))
        {
            yield return row;
        }
    }

    /// <summary>
    /// Jobs that have not ended and have not changed since <paramref name="unchangedSince"/>:
    /// queued ones, and dispatched ones with whether their current attempt has a recorded outcome.
    /// A job sent at <paramref name="lanesKeptSince"/> or later to one of the first
    /// <paramref name="lanes"/> dispatch lanes (those consumed now) is left out: the lane still holds it.
    /// </summary>
    public async Task<IReadOnlyList<UnfinishedJob>> ListIdleUnfinishedJobsAsync(DateTimeOffset unchangedSince, DateTimeOffset lanesKeptSince, int lanes, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<UnfinishedJob>(new CommandDefinition(
            UnfinishedJobSql + """
             WHERE j.state IN ('queued', 'dispatched') AND j.updated_at < @since
              -- A paused batch's jobs wait on purpose; resuming it sends them on.
              AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = j.batch_id AND b.control = 'paused')
              -- So does a job in its dispatch lane, while the lane keeps what was sent to it and
              -- is consumed (a lane past Intake:Lanes, after it was lowered, is not).
              AND (j.laned_at IS NULL OR j.laned_at < @lanesKeptSince OR COALESCE(j.lane, 0) >= @lanes)
            ORDER BY j.updated_at
            LIMIT @limit
            """,
            new
            {
                since = unchangedSince.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                limit,
                lanes,
                lanesKeptSince = lanesKeptSince.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The jobs of <paramref name="batchId"/> that have not ended, as <see cref="ListIdleUnfinishedJobsAsync"/> describes them.</summary>
    public async Task<IReadOnlyList<UnfinishedJob>> ListUnfinishedJobsAsync(string batchId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<UnfinishedJob>(new CommandDefinition(
            UnfinishedJobSql + " WHERE j.batch_id = @batchId AND j.state IN ('queued', 'dispatched')",
            new { batchId },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _readers.DisposeAsync();
        await _dialect.DisposeAsync();
    }

    private const string BatchStatusSql = """
        SELECT b.batch_id AS BatchId, b.total_jobs AS TotalJobs, b.source AS Source, b.created_at AS CreatedAt,
               b.control AS Control, b.expires_at AS ExpiresAt, b.metadata AS Metadata, b.control_reason AS ControlReason,
               COUNT(CASE WHEN j.state = 'queued' THEN 1 END) AS Queued,
               COUNT(CASE WHEN j.state = 'dispatched' THEN 1 END) AS Dispatched,
               COUNT(CASE WHEN j.state = 'succeeded' THEN 1 END) AS Succeeded,
               COUNT(CASE WHEN j.state = 'failed' THEN 1 END) AS Failed,
               CAST(COALESCE(SUM(j.prompt_tokens), 0) AS BIGINT) AS PromptTokens,
               CAST(COALESCE(SUM(j.completion_tokens), 0) AS BIGINT) AS CompletionTokens,
               COALESCE(SUM(CASE WHEN j.state = 'succeeded' THEN j.cost END), 0.0) AS Cost
        FROM batches b LEFT JOIN jobs j ON j.batch_id = b.batch_id
        """;

    // A batch that has not ended: some announced job has not been recorded, or one has not ended.
    private const string NotComplete = """
        (EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = batches.batch_id AND j.state IN ('queued', 'dispatched'))
         OR COALESCE(batches.total_jobs, 0) > (SELECT COUNT(*) FROM jobs j WHERE j.batch_id = batches.batch_id)
         OR batches.total_jobs IS NULL)
        """;

    // No attempt of the job is under way: it is queued, or its latest attempt has its outcome.
    private const string NotUnderWay = """
        (state = 'queued' OR (state = 'dispatched' AND EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = jobs.job_id AND a.attempt = jobs.attempts)))
        """;

    private const string EndUnstartedSql = """
        UPDATE jobs SET state = 'failed', error_kind = @kind, error_message = @reason, status_code = NULL,
          updated_at = @now, completed_at = @now, parked_at = NULL, laned_at = NULL, lane = NULL
        """;

    private const string UnfinishedJobSql = """
        SELECT j.job_id AS JobId, j.state AS State, j.model_group AS ModelGroup, j.attempts AS Attempts, j.deployment_id AS DeploymentId,
               j.dispatched_at AS DispatchedAt, j.updated_at AS UpdatedAt, j.quota_seq AS QuotaSeq,
               CASE WHEN EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = j.job_id AND a.attempt = j.attempts) THEN 1 ELSE 0 END AS Reported
        FROM jobs j
        """;

    // A hold passes only while the account stays within the cap; giving back (a resend onto a
    // cheaper deployment) always passes.
    private const string ReserveSpendSql = """
        UPDATE spend_accounts SET reserved = reserved + CAST(@delta AS NUMERIC)
        WHERE cap_key = @key AND period_start = @period
          AND (CAST(@delta AS NUMERIC) <= 0 OR spent + reserved + CAST(@delta AS NUMERIC) <= CAST(@limit AS NUMERIC))
        """;

    // Never below zero: a hold made in an earlier period was settled against that period's account.
    private const string SettleSpendSql = """
        UPDATE spend_accounts
        SET reserved = CASE WHEN reserved > CAST(@estimate AS NUMERIC) THEN reserved - CAST(@estimate AS NUMERIC) ELSE 0 END,
            spent = spent + CAST(@actual AS NUMERIC)
        WHERE cap_key = @key AND period_start = @period
        """;

    private static Task EnsureSpendAccountAsync(DbConnection c, CancellationToken t, string key, string period) =>
        c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO spend_accounts(cap_key, period_start, spent, reserved) VALUES (@key, @period, 0, 0) ON CONFLICT(cap_key, period_start) DO NOTHING",
            new { key, period },
            cancellationToken: t));

    private static string PeriodText(DateTimeOffset start) => start.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<bool> InsertAttemptAsync(DbConnection c, CancellationToken t, AttemptRow attempt, SpendSettlement? settlement)
    {
        var first = Changed(await InsertAttemptCall(attempt).RunAsync(c, t)) == 1;
        if (first && settlement is { } s)
        {
            var period = PeriodText(s.PeriodStart);
            await EnsureSpendAccountAsync(c, t, s.CapKey, period);
            await c.ExecuteAsync(new CommandDefinition(SettleSpendSql, new { key = s.CapKey, period, estimate = s.Estimate, actual = s.Actual }, cancellationToken: t));
        }

        return first;
    }

    private StatementCall InsertAttemptCall(AttemptRow attempt) =>
        StatementCall.Execute(
            InsertAttempt,
            attempt.JobId, attempt.Attempt, attempt.DeploymentId, attempt.ErrorKind, attempt.StatusCode,
            attempt.Message, attempt.LatencyMs, attempt.ProviderMs, attempt.PromptTokens, attempt.CompletionTokens, attempt.CachedTokens, Now());

    private async Task<bool> CompleteAsync(DbConnection c, CancellationToken t, JobCompletion completion) =>
        Changed(await CompleteCall(completion).RunAsync(c, t)) == 1;

    private StatementCall CompleteCall(JobCompletion completion, ShareFence? fence = null) =>
        StatementCall.Execute(
            _complete,
            completion.Succeeded ? JobState.Succeeded : JobState.Failed,
            completion.JobId, completion.DeploymentId, completion.Attempts, completion.Response,
            completion.PromptTokens, completion.CompletionTokens, (double)completion.Cost, StoredCost.ToText(completion.Cost),
            completion.ErrorKind, completion.ErrorMessage, completion.StatusCode, completion.RequestId,
            completion.LatencyMs, Now(), fence?.Share, fence?.Epoch);

    // The rows a statement of a StatementCall changed.
    private static int Changed(object? result) => (int)result!;

    private Task<T> WriteAsync<T>(Func<DbConnection, CancellationToken, Task<T>> write, CancellationToken ct, [CallerMemberName] string name = "") =>
        _writer.RunAsync(_faults is not { } faults ? write : (c, t) => faults(name) is { } fault ? Task.FromException<T>(fault) : write(c, t), ct);

    // A write whose statements are known before it runs: the writer may send it in a batch with others.
    private Task<T> WriteAsync<T>(StatementCall[] calls, Func<object?[], T> result, CancellationToken ct, [CallerMemberName] string name = "") =>
        _faults is null
            ? _writer.RunAsync(calls, result, ct)
            : WriteAsync(async (c, t) => result(await StatementCall.RunAllAsync(c, calls, t)), ct, name);

    private Task<DbConnection> OpenAsync(CancellationToken ct) => _dialect.OpenAsync(ct);

    private string Now() => _time.GetUtcNow().ToString("O");

    private sealed class SpendJob
    {
        public string DeploymentId { get; init; } = "";

        public string ModelGroup { get; init; } = "";

        public string? Tenant { get; init; }

        public string State { get; init; } = "";

        public string? CostExact { get; init; }

        public double? CostReal { get; init; }

        public long EstPromptTokens { get; init; }

        public long MaxTokens { get; init; }
    }

    // A quota_state row, read into settable properties: columns a file written by an older
    // version filled with NULL or the default would not match a positional record's constructor.
    private sealed class QuotaStateRow
    {
        public string DeploymentId { get; init; } = "";

        public double Requests { get; init; }

        public double Tokens { get; init; }

        public string SavedAt { get; init; } = "";

        public string? PausedUntil { get; init; }

        public string? PauseReason { get; init; }

        public long PauseWaiting { get; init; }

        public double? InputTokens { get; init; }

        public double? OutputTokens { get; init; }
    }

    private sealed class ShareRow
    {
        public string DeploymentId { get; init; } = "";

        public long Succeeded { get; init; }

        public long Failed { get; init; }
    }

    // Batch counts are read into settable properties: when no batch matches, SQLite gives the SUM
    // columns no type, and Dapper could not match the positional record's constructor.
    private sealed class BatchRow
    {
        public string BatchId { get; init; } = "";

        public long? TotalJobs { get; init; }

        public string? Source { get; init; }

        public string CreatedAt { get; init; } = "";

        public long Queued { get; init; }

        public long Dispatched { get; init; }

        public long Succeeded { get; init; }

        public long Failed { get; init; }

        public long PromptTokens { get; init; }

        public long CompletionTokens { get; init; }

        public double Cost { get; init; }

        public string? Control { get; init; }

        public string? ExpiresAt { get; init; }

        public string? Metadata { get; init; }

        public string? ControlReason { get; init; }

        public BatchStatus ToStatus() =>
            new(BatchId, TotalJobs, Source, CreatedAt, Queued, Dispatched, Succeeded, Failed, PromptTokens, CompletionTokens, Cost, Control, ExpiresAt,
                StoredMetadata.FromText(Metadata), ControlReason);
    }
}
