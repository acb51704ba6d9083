namespace Dispatcher.Bench.Processes;

/// <summary>
/// Waits, for a bounded time, until nothing but the bench's own processes keeps the machine busy
/// before a measurement: on a 2-core machine any other busy process (a build, a test run) takes a
/// core away from the measured ones.
/// </summary>
internal static class QuietMachine
{
    private const double QuietOtherPercentOfOneCore = 15;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Returns once a 2-second window shows less than 15 % of one core used outside <paramref name="ours"/>,
    /// or after <paramref name="maxWait"/> with a warning. A name in <paramref name="trees"/> counts with every process it started.
    /// </summary>
    public static async Task WaitAsync(IReadOnlyDictionary<string, int> ours, TimeSpan maxWait, TextWriter log, CancellationToken ct, IReadOnlySet<string>? trees = null)
    {
        var started = TimeProvider.System.GetTimestamp();
        var warned = false;
        while (true)
        {
            var meter = CpuMeter.Start(ours, trees);
            await Task.Delay(Window, TimeProvider.System, ct);
            var other = meter.Stop().OtherPercentOfOneCore;
            if (other < QuietOtherPercentOfOneCore)
            {
                return;
            }

            if (TimeProvider.System.GetElapsedTime(started) >= maxWait)
            {
                log.WriteLine($"  warning: other work still uses {other:0} % of a core after {maxWait.TotalSeconds:0} s; measuring anyway (see 'everything else' in the CPU table)");
                return;
            }

            if (!warned)
            {
                log.WriteLine($"  other work on the machine uses {other:0} % of a core; waiting up to {maxWait.TotalSeconds:0} s for it to end");
                warned = true;
            }
        }
    }
}
