using System.Text.Json;

namespace Dispatcher.Bench.Faults;

/// <summary>One line of the simulated providers' call audit (<c>Simulation:CallLogPath</c>): a call a provider received.</summary>
/// <param name="Deployment">The deployment called.</param>
/// <param name="JobId">The job.</param>
/// <param name="Attempt">The job's attempt number.</param>
/// <param name="Pid">The worker process that made the call.</param>
/// <param name="At">When the provider received it.</param>
internal sealed record ProviderCall(string Deployment, string JobId, int Attempt, int Pid, DateTimeOffset At)
{
    /// <summary>Every call in the audit file, in the order they were written; none when there is no file.</summary>
    public static IReadOnlyList<ProviderCall> ReadAll(string path) =>
        !File.Exists(path)
            ? []
            : [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l =>
            {
                var call = JsonDocument.Parse(l).RootElement;
                return new ProviderCall(
                    call.GetProperty("deployment").GetString()!,
                    call.GetProperty("jobId").GetString()!,
                    call.GetProperty("attempt").GetInt32(),
                    call.GetProperty("pid").GetInt32(),
                    call.GetProperty("at").GetDateTimeOffset());
            })];

    /// <summary>Calls beyond one per (job, attempt): work a provider was given again.</summary>
    public static int Repeated(IReadOnlyList<ProviderCall> calls) =>
        calls.Count - calls.Select(c => (c.JobId, c.Attempt)).Distinct().Count();
}
