using System.Text.Json;

namespace Dispatcher.Contracts;

/// <summary>
/// One attempt of a job, sent by the dispatcher to the queue of the deployment it chose.
/// </summary>
/// <param name="JobId">The job's id.</param>
/// <param name="DeploymentId">The deployment that must run this attempt.</param>
/// <param name="Attempt">1 for the first attempt, then counting up across retries and fallbacks.</param>
/// <param name="Body">The request body; the worker sets the deployment's model name in it.</param>
/// <param name="EstimatedPromptTokens">The dispatcher's estimate of the prompt's tokens.</param>
/// <param name="MaxTokens">The completion token limit reserved for this attempt.</param>
/// <param name="Deadline">After this instant the worker does not start the call.</param>
/// <param name="TraceParent">
/// The W3C <c>traceparent</c> of the dispatcher's span that sent the attempt, so the worker's
/// call joins the job's trace when the attempt travels in a <see cref="CompletionWorkPack"/>.
/// </param>
/// <param name="StartBy">
/// The end of the attempt's lease: the worker does not start the call after this instant (it
/// reports a timeout instead), because the dispatcher re-drives an attempt whose lease has run
/// out with no outcome, and starting it then would call the provider twice for it.
/// </param>
/// <param name="QuotaSeq">
/// The dispatcher's reservation for this attempt (its quota sequence), echoed in the outcome so the
/// dispatcher settles exactly the reservation this send made, even when a resend of the attempt
/// replaced it in the ledger meanwhile.
/// </param>
/// <param name="Url">The endpoint to call (<see cref="Endpoints"/>); chat completions when null.</param>
/// <param name="Outcomes">
/// The queue the attempt's outcome goes to: that of the share of the model groups the job is in,
/// when several dispatchers each own a share (<c>dispatcher-outcomes.s1</c>); <see cref="QueueNames.Outcomes"/> when null.
/// </param>
public sealed record CompletionWork(
    Guid JobId,
    string DeploymentId,
    int Attempt,
    JsonElement Body,
    int EstimatedPromptTokens,
    int MaxTokens,
    DateTimeOffset? Deadline = null,
    string? TraceParent = null,
    DateTimeOffset? StartBy = null,
    long? QuotaSeq = null,
    string? Url = null,
    string? Outcomes = null);
