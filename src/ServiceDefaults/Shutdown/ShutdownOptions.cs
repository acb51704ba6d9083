namespace Dispatcher.ServiceDefaults.Shutdown;

/// <summary>
/// How long a program may take to stop, bound from the <c>Shutdown</c> section and checked by
/// <see cref="ShutdownOptionsValidator"/>. Within <see cref="GracePeriod"/> of SIGTERM (or Ctrl+C)
/// the program finishes or abandons what it has in hand and exits; a message it abandoned was
/// never acknowledged, so the broker delivers it to the next process.
/// </summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Shutdown";

    /// <summary>The longest grace period allowed.</summary>
    public static readonly TimeSpan LongestGracePeriod = TimeSpan.FromMinutes(5);

    /// <summary>How long stopping may take, from the signal to the exit.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the bus's consumers may go on with the messages they hold before their tokens are
    /// cancelled: half the grace, so an abandoned message's consumer has time left to give up.
    /// </summary>
    public TimeSpan ConsumerStopTimeout => GracePeriod / 2;

    /// <summary>
    /// How long the host waits for the bus to stop: three quarters of the grace, leaving the rest
    /// for the services stopped after it (the quota levels' last save).
    /// </summary>
    public TimeSpan BusStopTimeout => GracePeriod * 3 / 4;
}
