namespace Dispatcher.Bench.Faults;

/// <summary>
/// The busiest quota window each deployment saw, from the providers' call audit: the most calls
/// received within any span of one window, which a provider counting on arrival would have held
/// against the deployment's limit.
/// </summary>
internal static class ProviderWindows
{
    /// <summary>
    /// Per deployment, the most calls in any span of <paramref name="window"/>: counting only the
    /// first call of each (job, attempt), which the dispatcher paced, and counting every call,
    /// repeats after a crash included.
    /// </summary>
    public static IReadOnlyDictionary<string, (int FirstCalls, int AllCalls)> Peaks(IReadOnlyList<ProviderCall> calls, TimeSpan window)
    {
        var first = calls
            .GroupBy(c => (c.JobId, c.Attempt))
            .Select(g => g.MinBy(c => c.At)!)
            .ToList();
        return calls.Select(c => c.Deployment).Distinct(StringComparer.Ordinal).ToDictionary(
            d => d,
            d => (Peak(first.Where(c => c.Deployment == d), window), Peak(calls.Where(c => c.Deployment == d), window)),
            StringComparer.Ordinal);
    }

    // Two pointers over the sorted times: for each call, how many arrived before one window after it.
    private static int Peak(IEnumerable<ProviderCall> calls, TimeSpan window)
    {
        var times = calls.Select(c => c.At).Order().ToArray();
        var peak = 0;
        var end = 0;
        for (var start = 0; start < times.Length; start++)
        {
            while (end < times.Length && times[end] - times[start] < window)
            {
                end++;
            }

            peak = Math.Max(peak, end - start);
        }

        return peak;
    }
}
