namespace Dispatcher.Retries;

/// <summary>
/// The fixed delays the broker's delay queues hold jobs for. A wanted delay is rounded up to
/// the next step, so a job never comes back before its Retry-After; steps grow by a third or
/// less from a second on (the round figures a policy is written in fall on a step exactly), and
/// a few dozen queues, declared when first used, cover a quarter second to an hour.
/// </summary>
public static class RetryDelayLadder
{
    private static readonly int[] StepsMs =
    [
        250, 500, 750, 1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000, 12_000, 15_000,
        20_000, 25_000, 30_000, 40_000, 50_000, 60_000, 75_000, 90_000, 120_000, 150_000, 180_000, 240_000,
        300_000, 400_000, 500_000, 600_000, 900_000, 1_200_000, 1_800_000, 2_400_000, 3_600_000,
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
