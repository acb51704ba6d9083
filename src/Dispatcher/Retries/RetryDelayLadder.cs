namespace Dispatcher.Retries;

/// <summary>
/// The fixed delays the broker's delay queues hold jobs for. A wanted delay is rounded up to
/// the next step, so a job never comes back before its Retry-After; steps grow by about 1.6×,
/// so the rounding adds at most that much, and a handful of queues covers seconds to an hour.
/// </summary>
public static class RetryDelayLadder
{
    private static readonly int[] StepsMs =
    [
        250, 500, 1_000, 2_000, 3_000, 5_000, 8_000, 13_000, 21_000, 34_000, 55_000, 89_000,
        144_000, 233_000, 377_000, 610_000, 987_000, 1_597_000, 2_584_000, 3_600_000,
    ];

    /// <summary>The shortest step not shorter than <paramref name="delay"/> (the longest step beyond it).</summary>
    public static TimeSpan StepFor(TimeSpan delay)
    {
        foreach (var ms in StepsMs)
        {
            if (ms >= delay.TotalMilliseconds)
            {
                return TimeSpan.FromMilliseconds(ms);
            }
        }

        return TimeSpan.FromMilliseconds(StepsMs[^1]);
    }

    /// <summary>The name of the delay queue (and its exchange) for a step: <c>dispatcher-delay-250ms</c>, <c>dispatcher-delay-13s</c>.</summary>
    public static string QueueName(TimeSpan step) =>
        Contracts.QueueNames.DelayPrefix + (step.TotalMilliseconds < 1000 ? $"{step.TotalMilliseconds:0}ms" : $"{step.TotalSeconds:0}s");
}
