using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatcher.Contracts;

/// <summary>
/// A command asking the dispatcher to run one completion job. This is the message producers
/// send to the intake queue, either through MassTransit or as a plain JSON body.
/// </summary>
/// <param name="CustomId">The caller's id for the job; unique within its batch.</param>
/// <param name="ModelGroup">The logical model group that routing picks a deployment from.</param>
/// <param name="Body">An OpenAI-style request body for <paramref name="Url"/>; unknown fields pass through untouched.</param>
/// <param name="BatchId">The batch this job belongs to, if any.</param>
/// <param name="JobId">A unique id for this job; the dispatcher assigns one when it is empty.</param>
/// <param name="Tenant">The tenant the job is billed to, if any.</param>
/// <param name="Priority">Higher runs first when capacity is scarce.</param>
/// <param name="SessionKey">Jobs with the same key prefer the same deployment (consistent hashing).</param>
/// <param name="Deadline">After this instant the job is failed instead of started.</param>
/// <param name="Url">
/// The endpoint the body is for (<see cref="Endpoints"/>: <c>/v1/chat/completions</c>,
/// <c>/v1/embeddings</c>, <c>/v1/completions</c>, <c>/v1/responses</c>, <c>/v1/moderations</c>);
/// chat completions when null.
/// </param>
public sealed record SubmitCompletion(
    string CustomId,
    string ModelGroup,
    // A job that arrived without a body still has to be written out again (in the fault that
    // dead-letters it), and an absent element cannot be written: leave it out instead.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] JsonElement Body,
    string? BatchId = null,
    Guid JobId = default,
    string? Tenant = null,
    int Priority = 0,
    string? SessionKey = null,
    DateTimeOffset? Deadline = null,
    string? Url = null);
