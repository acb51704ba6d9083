using Dispatcher.Monitoring;

namespace Dispatcher.Submitter.Status;

/// <summary>A status snapshot and where it came from (the dispatcher's API, or the ledger and the broker).</summary>
internal sealed record StatusReport(DispatcherStatus Status, string Origin);
