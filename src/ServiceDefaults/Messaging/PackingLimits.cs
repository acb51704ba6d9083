namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>How a <see cref="PackingSender{TItem, TPack}"/> packs and how long it tries to send a pack.</summary>
public sealed record PackingLimits
{
    /// <summary>The most items in one pack. A pack bounds what a crashed consumer makes run again.</summary>
    public int MaxItems { get; init; } = 64;

    /// <summary>The most sends to one address awaiting confirmation at once; items wait for the next while this many are out.</summary>
    public int MaxInFlight { get; init; } = 2;

    /// <summary>
    /// The longest one send may wait for the broker's confirmation. A publish whose channel dies
    /// with the broker can wait for a confirmation that never comes; without this bound, every
    /// item behind it would wait forever too.
    /// </summary>
    public TimeSpan SendTimeout { get; init; } = BrokerConfirmation.Timeout;

    /// <summary>How many times a pack is sent before its items fail (a resend may deliver it twice; consumers recognise repeats).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait before the first resend; it doubles for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
