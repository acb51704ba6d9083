namespace Dispatcher.Bench.Latency;

/// <summary>
/// One job's way through the product, in milliseconds, from the producer's clock (submit), the
/// ledger's timestamps and the result reader's clock (all the same machine's wall clock).
/// </summary>
/// <param name="Dispatch">Result received − submitted − the provider's own time: what the product added.</param>
/// <param name="Intake">Submitted → recorded in the ledger (the intake queue, the dispatcher's accept write).</param>
/// <param name="Routing">Recorded → the attempt claimed in the ledger (routing, the claim's write; the dispatcher claims an attempt before it sends it).</param>
/// <param name="Hops">
/// Claimed → the outcome recorded, less the worker's call time: the send to the provider queue,
/// the worker's handling around the call, the outcome back to the dispatcher and its write.
/// </param>
/// <param name="WorkerCall">The worker's call time less the provider's own time (the worker's side of the call).</param>
/// <param name="Result">Attempt recorded → result event received (the job's completion write, the result event's publish and delivery).</param>
/// <param name="ProviderMs">The provider's own time on the call (the simulated provider's measured time from admitting the call to answering).</param>
internal sealed record JobTimes(double Dispatch, double Intake, double Routing, double Hops, double WorkerCall, double Result, double ProviderMs);
