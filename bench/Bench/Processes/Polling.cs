namespace Dispatcher.Bench.Processes;

/// <summary>Bounded waiting: every wait in the bench ends, either because its condition held or with a clear error.</summary>
internal static class Polling
{
    /// <summary>
    /// Checks <paramref name="condition"/> every <paramref name="interval"/> until it holds; throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan interval, TimeSpan timeout, string what, CancellationToken ct)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"gave up after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(interval, TimeProvider.System, ct);
        }
    }
}
