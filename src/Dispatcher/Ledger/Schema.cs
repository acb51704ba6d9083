using System.Data.Common;
using Dapper;

namespace Dispatcher.Ledger;

/// <summary>
/// The ledger's tables, in SQLite's types (<see cref="LedgerDialect.Declaration"/> gives each engine's).
/// Additive changes only, so a ledger written by an older version opens unchanged.
/// </summary>
internal static class Schema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS batches (
          batch_id    TEXT PRIMARY KEY,
          total_jobs  INTEGER,
          source      TEXT,
          created_at  TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS jobs (
          job_id            TEXT PRIMARY KEY,
          batch_id          TEXT,
          custom_id         TEXT NOT NULL,
          model_group       TEXT NOT NULL,
          tenant            TEXT,
          priority          INTEGER NOT NULL DEFAULT 0,
          session_key       TEXT,
          deadline          TEXT,
          body              TEXT NOT NULL,
          state             TEXT NOT NULL,
          attempts          INTEGER NOT NULL DEFAULT 0,
          deployment_id     TEXT,
          est_prompt_tokens INTEGER NOT NULL DEFAULT 0,
          max_tokens        INTEGER NOT NULL DEFAULT 0,
          prompt_tokens     INTEGER,
          completion_tokens INTEGER,
          cost              REAL,
          error_kind        TEXT,
          error_message     TEXT,
          status_code       INTEGER,
          response          TEXT,
          request_id        TEXT,
          latency_ms        REAL,
          result_published  INTEGER NOT NULL DEFAULT 0,
          created_at        TEXT NOT NULL,
          updated_at        TEXT NOT NULL,
          completed_at      TEXT
        );
        -- Exactly one job per (batch, custom id): the dedupe that makes one result per line possible.
        CREATE UNIQUE INDEX IF NOT EXISTS jobs_batch_custom ON jobs(batch_id, custom_id);
        CREATE INDEX IF NOT EXISTS jobs_batch_state ON jobs(batch_id, state);
        CREATE TABLE IF NOT EXISTS attempts (
          job_id            TEXT NOT NULL,
          attempt           INTEGER NOT NULL,
          deployment_id     TEXT NOT NULL,
          error_kind        TEXT NOT NULL,
          status_code       INTEGER,
          message           TEXT,
          latency_ms        REAL NOT NULL,
          prompt_tokens     INTEGER,
          completion_tokens INTEGER,
          recorded_at       TEXT NOT NULL,
          PRIMARY KEY (job_id, attempt)
        );
        CREATE TABLE IF NOT EXISTS quota_state (
          deployment_id TEXT PRIMARY KEY,
          requests      REAL NOT NULL,
          tokens        REAL NOT NULL,
          saved_at      TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS breakers (
          deployment_id TEXT PRIMARY KEY,
          state         TEXT NOT NULL,
          reason        TEXT,
          changed_at    TEXT NOT NULL
        );
        -- Commands on a batch (cancel, pause, resume) handed to the dispatcher through the file, for
        -- a dispatcher no broker reaches (the embedded `run`): applied_at is set by the one that
        -- claims the request, before it applies it.
        CREATE TABLE IF NOT EXISTS batch_requests (
          request_id   TEXT PRIMARY KEY,
          batch_id     TEXT NOT NULL,
          command      TEXT NOT NULL,
          reason       TEXT,
          requested_at TEXT NOT NULL,
          applied_at   TEXT
        );
        CREATE INDEX IF NOT EXISTS batch_requests_pending ON batch_requests(applied_at, requested_at);
        -- Spend against a cap shared by several dispatchers (a tenant's, on PostgreSQL), per period
        -- (its start, round-trip UTC text): what ended calls cost and what attempts under way hold.
        -- Holds are added by one conditional statement each, so the cap is never crossed.
        CREATE TABLE IF NOT EXISTS spend_accounts (
          cap_key      TEXT NOT NULL,
          period_start TEXT NOT NULL,
          spent        NUMERIC NOT NULL DEFAULT 0,
          reserved     NUMERIC NOT NULL DEFAULT 0,
          PRIMARY KEY (cap_key, period_start)
        );
        -- With several active dispatchers (Dispatcher:Shares), who owns each share of the model
        -- groups and under which epoch: a process taking a share over moves its epoch on, and an
        -- attempt is claimed only under its share's current epoch, which fences off the previous owner.
        CREATE TABLE IF NOT EXISTS dispatch_shares (
          share  INTEGER PRIMARY KEY,
          epoch  INTEGER NOT NULL,
          owner  TEXT NOT NULL,
          since  TEXT NOT NULL
        );
        """;

    // Columns added after the first release of a table: (table, column, declaration, and what
    // fills the column for the rows a file already holds, when they need more than its default).
    private static readonly (string Table, string Column, string Declaration, Func<DbConnection, CancellationToken, Task>? Fill)[] AddedColumns =
    [
        ("jobs", "quota_seq", "INTEGER", null),
        ("jobs", "route_reason", "TEXT", null),
        ("jobs", "dispatched_at", "TEXT", null),
        ("jobs", "attempt_base", "INTEGER NOT NULL DEFAULT 0", null),
        ("jobs", "replays", "INTEGER NOT NULL DEFAULT 0", null),
        // When the attempt was sent to its deployment: with recorded_at, how long each attempt
        // took end to end, and whether a deployment was called while a Retry-After paused it.
        ("attempts", "dispatched_at", "TEXT", null),
        // The attempt's quota reservation and the provider's own time on the call: with
        // dispatched_at, recorded_at and latency_ms, what a restarted dispatcher needs to count
        // each attempt in its quota windows as the process that settled it did.
        ("attempts", "quota_seq", "INTEGER", null),
        ("attempts", "provider_ms", "REAL", null),
        // A job's cost as exact decimal text (StoredCost); jobs.cost, a REAL, is still written for
        // the batch totals SQL sums and for older versions reading the file.
        ("jobs", "cost_exact", "TEXT", CopyCostsAsync),
        // The SHA-256 of the file a batch came from: a second `run` of the file resumes the batch.
        ("batches", "source_digest", "TEXT", null),
        // A provider's pause of the deployment (a Retry-After), saved with the levels: until when
        // (round-trip UTC text; NULL or a time past is no pause), why, and how many jobs the
        // dispatcher held for a retry after it. Progress and status read it from the ledger.
        ("quota_state", "paused_until", "TEXT", null),
        ("quota_state", "pause_reason", "TEXT", null),
        ("quota_state", "pause_waiting", "INTEGER NOT NULL DEFAULT 0", null),
        // What was decided about a batch as a whole (BatchControl: paused, cancelled, expired; NULL
        // while it runs), when, and when its completion window ends (round-trip UTC text, NULL for
        // none). Every dispatcher checks them before it starts an attempt of the batch.
        ("batches", "control", "TEXT", null),
        ("batches", "control_at", "TEXT", null),
        ("batches", "expires_at", "TEXT", null),
        // When a job of a paused batch was put aside (queued, nothing holding it): resuming the
        // batch sends exactly these on; NULL otherwise.
        ("jobs", "parked_at", "TEXT", null),
        // The endpoint a job's body is for (its Batch line's url); NULL, in rows written before
        // jobs named one, is chat completions, all there was then.
        ("jobs", "url", "TEXT", null),
        // When a job that would have waited for capacity was sent to its dispatch lane, to wait
        // there in the broker, and which lane; NULL once an attempt of it is sent (or it ends).
        // The reconciler leaves such a job to its lane while the lane is consumed.
        ("jobs", "laned_at", "TEXT", null),
        ("jobs", "lane", "INTEGER", null),
        // The prompt tokens an attempt read from the provider's cache: a restarted dispatcher
        // seeds an Anthropic deployment's input window without them, as its settle counted it.
        ("attempts", "cached_tokens", "INTEGER", null),
        // The input and output token buckets of a deployment following the Anthropic limit
        // model; NULL for one that keeps none.
        ("quota_state", "input_tokens", "REAL", null),
        ("quota_state", "output_tokens", "REAL", null),
        // A batch's metadata (the Batch API's string keys and values) as a JSON object; NULL for
        // none. Kept with the batch whoever submitted it (a SubmitBatch, the Batch API).
        ("batches", "metadata", "TEXT", null),
        // Why the batch was cancelled (a cancel's reason, or `run --new` superseding it); NULL for
        // no reason given, and for any other control.
        ("batches", "control_reason", "TEXT", null),
        // What routing rules read of a job's body, found once at intake: its flags (1: holds an
        // image, 2: declares tools) and its own metadata object as JSON text; 0 and NULL in rows
        // written before rules read them.
        ("jobs", "body_traits", "INTEGER NOT NULL DEFAULT 0", null),
        ("jobs", "body_metadata", "TEXT", null),
        // A dispatcher that prefers the share (Dispatcher:PreferredShares) while another process
        // routes it, asking for it back; cleared whenever the share is taken over.
        ("dispatch_shares", "wanted_by", "TEXT", null),
    ];

    /// <summary>Adds the columns of <see cref="AddedColumns"/> a table does not have yet, filling them as they need.</summary>
    public static async Task AddMissingColumnsAsync(DbConnection connection, LedgerDialect dialect, CancellationToken ct)
    {
        foreach (var (table, column, declaration, fill) in AddedColumns)
        {
            var columns = await connection.QueryAsync<string>(new CommandDefinition(dialect.ListColumns, new { table }, cancellationToken: ct));
            if (!columns.Contains(column, StringComparer.OrdinalIgnoreCase))
            {
                // In the same transaction as the column: a process stopped half-way adds it anew.
                await connection.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} ADD COLUMN {column} {dialect.Declaration(declaration)}", cancellationToken: ct));
                if (fill is not null)
                {
                    await fill(connection, ct);
                }
            }
        }
    }

    // The costs a ledger kept as REAL, copied once as the decimal nearest each (15 significant
    // digits, what a double holds), so every row has its cost in the one column spend reads.
    private static async Task CopyCostsAsync(DbConnection connection, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(string JobId, double Cost)>(new CommandDefinition(
            "SELECT job_id, cost FROM jobs WHERE cost IS NOT NULL AND cost_exact IS NULL", cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET cost_exact = @Exact WHERE job_id = @JobId",
            rows.Select(r => new { r.JobId, Exact = StoredCost.ToText((decimal)r.Cost) }),
            cancellationToken: ct));
    }
}
