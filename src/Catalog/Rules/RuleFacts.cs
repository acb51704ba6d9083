namespace Dispatcher.Catalog.Rules;

/// <summary>
/// What a rule's condition may read of a job: all of it known at intake or carried with the job,
/// so evaluating a rule parses nothing.
/// </summary>
/// <param name="Tenant">The job's tenant (<c>tenant</c>).</param>
/// <param name="Endpoint">The endpoint the job is for (<c>endpoint</c>).</param>
/// <param name="PromptTokens">The job's prompt estimate (<c>prompt_tokens</c>).</param>
/// <param name="HasImages">Whether the body holds an image (<c>has_images</c>).</param>
/// <param name="HasTools">Whether the body declares tools or functions (<c>has_tools</c>).</param>
/// <param name="BodyMetadata">The body's own <c>metadata</c> object (<c>body.metadata.*</c>).</param>
/// <param name="BatchMetadata">The job's batch's metadata (<c>batch.metadata.*</c>).</param>
public readonly record struct RuleFacts(
    string? Tenant,
    string Endpoint,
    int PromptTokens,
    bool HasImages,
    bool HasTools,
    IReadOnlyDictionary<string, string>? BodyMetadata,
    IReadOnlyDictionary<string, string>? BatchMetadata);
