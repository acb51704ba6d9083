namespace Dispatcher.Routing;

/// <summary>
/// What routing rules read of a job beyond its group, tenant, endpoint and prompt estimate: what
/// its body holds, found once at intake (<see cref="BodyTraits"/>) and carried in the ledger, and
/// its batch's metadata, kept per batch (<see cref="Lifecycle.BatchControls"/>).
/// </summary>
/// <param name="HasImages">Whether the body holds an image.</param>
/// <param name="HasTools">Whether the body declares tools or functions.</param>
/// <param name="BodyMetadata">The body's own <c>metadata</c> object, its values as text.</param>
/// <param name="BatchMetadata">The job's batch's metadata.</param>
public sealed record JobTraits(
    bool HasImages,
    bool HasTools,
    IReadOnlyDictionary<string, string>? BodyMetadata,
    IReadOnlyDictionary<string, string>? BatchMetadata);
