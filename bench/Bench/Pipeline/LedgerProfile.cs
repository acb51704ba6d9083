using System.Globalization;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Pipeline;

/// <summary>
/// The ledger's share of a job, without the broker: the exact sequence of <see cref="JobLedger"/>
/// calls the dispatcher's consumers make per job, run by as many concurrent callers as the
/// consumers' concurrency limit, against a fresh file in the given folder.
/// </summary>
/// <remarks>
/// Intake (SubmitCompletionConsumer + JobDispatch): AcceptJobAsync (batch upsert, job insert,
/// read-back on the writer connection), then MarkDispatchedAsync. Outcome
/// (CompletionAttemptedConsumer + ResultPublisher): GetJobAsync, RecordAttemptAsync,
/// CompleteAsync, GetJobAsync, MarkResultPublishedAsync. That is 6 writes per successful job, all
/// queued to the ledger's one writer connection, which commits whatever has gathered meanwhile
/// in one transaction (group commit), and 3 reads (the read-back in AcceptJobAsync on the writer
/// connection, and two GetJobAsync on pooled ones).
/// </remarks>
internal static class LedgerProfile
{
    /// <summary>Writes per job through the single writer connection (group commit), counted from the calls above.</summary>
    public const int WriteStatementsPerJob = 6;

    /// <summary>Reads per job: the read-back in AcceptJobAsync (on the writer) and two GetJobAsync (on pooled connections).</summary>
    public const int ReadsPerJob = 3;

    private const string Body = """{"model":"gpt-bench","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"Summarise vaccines in three bullet points."}],"max_tokens":64,"temperature":0.2}""";

    private static readonly string Response =
        """{"id":"chatcmpl-sim-bench-a-1","object":"chat.completion","created":1700000000,"model":"gpt-bench","choices":[{"index":0,"message":{"role":"assistant","content":"Simulated answer from bench-a: the batch queue answer token model route quota result simulated the batch queue answer token model route"},"finish_reason":"stop"}],"usage":{"prompt_tokens":22,"completion_tokens":16,"total_tokens":38}}""";

    /// <summary>Runs <paramref name="jobs"/> jobs through intake, then through outcome, <paramref name="concurrency"/> at a time.</summary>
    public static async Task<LedgerProfileResult> RunAsync(string folder, string label, int jobs, int concurrency, CancellationToken ct)
    {
        var path = Path.Combine(folder, "ledger-profile-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);
            await ledger.InitializeAsync(ct);
            var ids = Enumerable.Range(0, jobs).Select(_ => Guid.NewGuid().ToString()).ToArray();
            var self = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            var cpu = CpuMeter.Start(self);
            var intake = await TimeAsync(ids, concurrency, (id, i) => IntakeAsync(ledger, id, i, ct));
            var outcome = await TimeAsync(ids, concurrency, (id, i) => OutcomeAsync(ledger, id, i, ct));
            var usage = cpu.Stop();
            return new LedgerProfileResult(label, jobs, concurrency, intake, outcome, usage.PercentOfOneCore["bench"]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    private static async Task IntakeAsync(JobLedger ledger, string jobId, int i, CancellationToken ct)
    {
        var customId = "request-" + i.ToString(CultureInfo.InvariantCulture);
        var (job, _) = await ledger.AcceptJobAsync(new NewJob(jobId, "profile", customId, "gpt-bench", null, 0, null, null, Body, 22, 64), ct);
        await ledger.MarkDispatchedAsync(job.JobId, "bench-a", 1, 0, "round-robin chose bench-a", replacing: null, ct);
    }

    private static async Task OutcomeAsync(JobLedger ledger, string jobId, int i, CancellationToken ct)
    {
        _ = await ledger.GetJobAsync(jobId, ct);
        await ledger.RecordAttemptAsync(
            new AttemptRow { JobId = jobId, Attempt = 1, DeploymentId = "bench-a", ErrorKind = nameof(ErrorKind.None), StatusCode = 200, LatencyMs = 0.1, PromptTokens = 22, CompletionTokens = 16 },
            ct);
        await ledger.CompleteAsync(new JobCompletion(jobId, true, "bench-a", 1, Response, 22, 16, 0.0000129m, null, null, 200, "sim-bench-a-" + i.ToString(CultureInfo.InvariantCulture), 0.1), ct);
        _ = await ledger.GetJobAsync(jobId, ct);
        await ledger.MarkResultPublishedAsync(jobId, ct);
    }

    private static async Task<TimeSpan> TimeAsync(string[] ids, int concurrency, Func<string, int, Task> step)
    {
        var next = -1;
        var started = TimeProvider.System.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < ids.Length)
            {
                await step(ids[i], i);
            }
        })));
        return TimeProvider.System.GetElapsedTime(started);
    }
}

/// <summary>What <see cref="LedgerProfile"/> measured.</summary>
/// <param name="Label">Where the ledger file was.</param>
/// <param name="Jobs">Jobs run through intake and outcome.</param>
/// <param name="Concurrency">Concurrent callers.</param>
/// <param name="Intake">Wall time of the intake calls for all jobs.</param>
/// <param name="Outcome">Wall time of the outcome calls for all jobs.</param>
/// <param name="CpuPercentOfOneCore">The bench process's CPU meanwhile: about 100 % means one core did the work, one call at a time.</param>
internal sealed record LedgerProfileResult(string Label, int Jobs, int Concurrency, TimeSpan Intake, TimeSpan Outcome, double CpuPercentOfOneCore)
{
    /// <summary>Microseconds of ledger time per job at intake.</summary>
    public double IntakeMicros => Intake.TotalMicroseconds / Jobs;

    /// <summary>Microseconds of ledger time per job for its outcome.</summary>
    public double OutcomeMicros => Outcome.TotalMicroseconds / Jobs;

    /// <summary>Jobs per second the ledger alone allows for the whole life of a job (intake plus outcome).</summary>
    public double JobsPerSecond => Jobs / (Intake + Outcome).TotalSeconds;

    /// <summary>Jobs per second the ledger alone allows at intake (the routing stage).</summary>
    public double IntakeJobsPerSecond => Jobs / Intake.TotalSeconds;
}
