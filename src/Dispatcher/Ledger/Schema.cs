using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>The ledger's tables. Additive changes only, so a file written by an older version opens unchanged.</summary>
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
        """;

    // Columns added after the first release of a table: (table, column, declaration).
    private static readonly (string Table, string Column, string Declaration)[] AddedColumns =
    [
        ("jobs", "quota_seq", "INTEGER"),
        ("jobs", "route_reason", "TEXT"),
        ("jobs", "dispatched_at", "TEXT"),
        ("jobs", "attempt_base", "INTEGER NOT NULL DEFAULT 0"),
        ("jobs", "replays", "INTEGER NOT NULL DEFAULT 0"),
        // When the attempt was sent to its deployment: with recorded_at, how long each attempt
        // took end to end, and whether a deployment was called while a Retry-After paused it.
        ("attempts", "dispatched_at", "TEXT"),
        // The attempt's quota reservation and the provider's own time on the call: with
        // dispatched_at, recorded_at and latency_ms, what a restarted dispatcher needs to count
        // each attempt in its quota windows as the process that settled it did.
        ("attempts", "quota_seq", "INTEGER"),
        ("attempts", "provider_ms", "REAL"),
    ];

    public static async Task AddMissingColumnsAsync(SqliteConnection connection, CancellationToken ct)
    {
        foreach (var (table, column, declaration) in AddedColumns)
        {
            var columns = await connection.QueryAsync<string>(new CommandDefinition($"SELECT name FROM pragma_table_info('{table}')", cancellationToken: ct));
            if (!columns.Contains(column, StringComparer.OrdinalIgnoreCase))
            {
                await connection.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} ADD COLUMN {column} {declaration}", cancellationToken: ct));
            }
        }
    }
}
