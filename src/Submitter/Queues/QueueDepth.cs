namespace Dispatcher.Submitter.Queues;

/// <summary>One queue's backlog as the management API reports it; rates are messages per second, null when the broker has none yet.</summary>
internal sealed record QueueDepth(string Name, long Ready, long Unacked, int Consumers, double? PublishRate, double? DeliverRate);
