using MassTransit;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Job priority on the broker. The intake is a RabbitMQ priority queue with levels 0–9, so a
/// backlog is handed to the dispatcher highest priority first; a job's priority above 9 still
/// orders it ahead inside the dispatcher, below 0 it queues at the broker's lowest level. With
/// quorum queues (<see cref="RabbitMqOptions.QueueType"/>) the broker ignores the level and
/// only the dispatcher orders by priority.
/// </summary>
public static class IntakePriority
{
    /// <summary>The highest broker priority level.</summary>
    public const byte MaxLevel = 9;

    /// <summary>
    /// Where producers send jobs: the intake's exchange. Sending to the queue itself would make
    /// the sender declare the queue, without the priority argument only the dispatcher sets, and
    /// the broker refuses a queue declared two ways. The dispatcher declares and binds the queue.
    /// </summary>
    public static Uri IntakeAddress { get; } = new($"exchange:{Contracts.QueueNames.Intake}");

    /// <summary>Sets the broker priority of a job being sent to the intake (a no-op on other transports).</summary>
    public static void Apply(SendContext context, int priority) =>
        context.TrySetPriority((byte)Math.Clamp(priority, 0, MaxLevel));
}
