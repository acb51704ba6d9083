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
}
