using Dispatcher.Bench.Faults;

namespace Dispatcher.Bench.Chaos;

/// <summary>
/// Which fault each repeated provider call is owed to, cheaply: a repeat whose previous call
/// was made by a worker that was then killed is the kill's; otherwise it is the last fault
/// injected between the previous call and the repeat; with none in between, it is unattributed
/// (a pack resent after an unconfirmed publish, say).
/// </summary>
internal static class RepeatAttribution
{
    /// <summary>The name of repeats no fault explains.</summary>
    public const string Unattributed = "none";

    /// <summary>Repeated calls per fault kind (or <see cref="Unattributed"/>).</summary>
    public static IReadOnlyDictionary<string, int> Attribute(IReadOnlyList<ProviderCall> calls, IReadOnlyList<InjectedFault> faults)
    {
        var byKind = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var group in calls.GroupBy(c => (c.JobId, c.Attempt)).Where(g => g.Count() > 1))
        {
            var ordered = group.OrderBy(c => c.At).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                var previous = ordered[i - 1];
                var between = faults.Where(f => f.At >= previous.At && f.At <= ordered[i].At).ToList();
                var kind = between.FirstOrDefault(f => f.Kind == FaultKind.WorkerKilled && f.KilledPid == previous.Pid)?.Kind.ToString()
                    ?? between.LastOrDefault()?.Kind.ToString()
                    ?? Unattributed;
                byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            }
        }

        return byKind;
    }
}
