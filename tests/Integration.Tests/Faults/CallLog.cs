using System.Text.Json;

namespace Integration.Tests.Faults;

/// <summary>The simulated provider's audit of the calls it received (<c>Simulation:CallLogPath</c>).</summary>
internal static class CallLog
{
    public static IReadOnlyList<ReceivedCall> Read(string path) =>
        !File.Exists(path)
            ? []
            : [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l =>
            {
                var line = JsonDocument.Parse(l).RootElement;
                return new ReceivedCall(
                    line.GetProperty("deployment").GetString()!,
                    line.GetProperty("jobId").GetGuid(),
                    line.GetProperty("attempt").GetInt32(),
                    line.GetProperty("pid").GetInt32(),
                    line.GetProperty("at").GetDateTimeOffset());
            })];

    /// <summary>Calls beyond the first for one (job, attempt): the provider was called again for work it had already been given.</summary>
    public static IReadOnlyList<IGrouping<(Guid JobId, int Attempt), ReceivedCall>> Repeated(IReadOnlyList<ReceivedCall> calls) =>
        [.. calls.GroupBy(c => (c.JobId, c.Attempt)).Where(g => g.Count() > 1)];
}

/// <summary>One line of the call log.</summary>
internal sealed record ReceivedCall(string Deployment, Guid JobId, int Attempt, int Pid, DateTimeOffset At);
