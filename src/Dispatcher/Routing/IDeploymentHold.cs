using System.Diagnostics.CodeAnalysis;

namespace Dispatcher.Routing;

/// <summary>
/// A model group's way of keeping a deployment that cannot take a job yet for that job, so the
/// job waits for it instead of going to the strategy's pick now. The router asks it at each step
/// of a decision, always under the quota book's lock, so an implementation keeps its state
/// unguarded; like a strategy, it must not allocate on the way to a pick. Deployments are named
/// by their index in the group, in catalog order.
/// </summary>
public interface IDeploymentHold
{
    /// <summary>A decision begins: what the last one considered is forgotten.</summary>
    void Begin();

    /// <summary>
    /// Whether deployment <paramref name="index"/> is held for a job other than
    /// <paramref name="jobId"/> at <paramref name="now"/>; if so, <paramref name="seconds"/> is
    /// how much longer it stays held.
    /// </summary>
    bool IsHeldForAnother(int index, Guid jobId, double now, out double seconds);

    /// <summary>
    /// Deployment <paramref name="index"/>, held for no other job, cannot afford
    /// <paramref name="request"/> for another <paramref name="seconds"/>: a deployment the job
    /// might wait for.
    /// </summary>
    void Consider(int index, RoutingRequest request, double seconds);

    /// <summary>
    /// Whether the job should wait for a deployment it considered rather than go to deployment
    /// <paramref name="picked"/>, the strategy's pick. When it should, that deployment is held
    /// for the job from <paramref name="now"/>, <paramref name="seconds"/> is the expected wait
    /// and <paramref name="reason"/> says what the job waits for.
    /// </summary>
    bool Waits(RoutingRequest request, int picked, double now, out double seconds, [NotNullWhen(true)] out string? reason);

    /// <summary>The job was given a deployment: whatever was held for it is free for others.</summary>
    void Routed(Guid jobId);
}
