namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// How a receive endpoint tries a message again, in process, after a transient failure (the
/// ledger busy, the broker not confirming a send) before the message goes to its <c>_error</c>
/// queue; bound from the <c>MessageRetry</c> section and checked by
/// <see cref="MessageRetryOptionsValidator"/>. The waits grow by one factor from
/// <see cref="FirstDelay"/> to <see cref="MaxDelay"/>: by default 0.1, 0.32, 1, 3.2 and 10 s,
/// under 15 s in all.
/// </summary>
public sealed class MessageRetryOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "MessageRetry";

    /// <summary>How many times a message is tried again; 0 sends it to its error queue at the first failure.</summary>
    public int Retries { get; set; } = 5;

    /// <summary>The wait before the first retry.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The wait before the last retry; the waits between grow by one factor.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before each retry, in order.</summary>
    public TimeSpan[] Delays()
    {
        if (Retries <= 0)
        {
            return [];
        }

        var factor = Retries == 1 ? 1 : Math.Pow(MaxDelay / FirstDelay, 1.0 / (Retries - 1));
        var delays = new TimeSpan[Retries];
        for (var i = 0; i < Retries; i++)
        {
            delays[i] = i == Retries - 1 && Retries > 1 ? MaxDelay : FirstDelay * Math.Pow(factor, i);
        }

        return delays;
    }
}
