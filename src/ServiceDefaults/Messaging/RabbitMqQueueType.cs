namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>The kind of queue every durable queue the programs declare on RabbitMQ is.</summary>
public enum RabbitMqQueueType
{
    /// <summary>Classic queues on the node that declared them: priority queues work (the default).</summary>
    Classic,

    /// <summary>
    /// Quorum queues, replicated across the cluster's nodes (Raft), so a queue survives the loss
    /// of a minority of nodes. RabbitMQ 3.10 gives them no priorities: the broker hands messages
    /// over in arrival order.
    /// </summary>
    Quorum,
}
