using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Consumers;

/// <summary>
/// How much of the intake the dispatcher holds at once, bound from the <c>Intake</c> section.
/// Jobs beyond this stay in the broker (visible as intake depth) while capacity is scarce.
/// </summary>
public sealed class IntakeOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Intake";

    /// <summary>Jobs routed (or waiting for quota) at once.</summary>
    [Range(1, 10_000)]
    public int ConcurrentMessageLimit { get; set; } = 32;

    /// <summary>Jobs fetched from the broker ahead of being routed.</summary>
    [Range(1, 65_535)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>
    /// Dispatch lanes: queues where jobs that would wait for capacity wait, in the broker. Each
    /// tenant's batch gets a lane of its own while lanes are free (two share one after that), so
    /// a small batch never queues behind a large one's backlog.
    /// </summary>
    [Range(1, 256)]
    public int Lanes { get; set; } = 8;

    /// <summary>Jobs each lane holds in the dispatcher at once, waiting their turn for capacity.</summary>
    [Range(1, 10_000)]
    public int LaneConcurrency { get; set; } = 8;
}
