namespace Dispatcher.ServiceDefaults.Management;

/// <summary>One queue's depth at an instant; rates are messages per second, when the transport knows them.</summary>
public sealed record QueueDepthSample(string Queue, long Ready, long Unacked, int Consumers, double? PublishRate, double? DeliverRate);
