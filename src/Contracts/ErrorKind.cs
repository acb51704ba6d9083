namespace Dispatcher.Contracts;

/// <summary>How an attempt ended, as classified by the worker.</summary>
public enum ErrorKind
{
    /// <summary>The provider answered with a completion.</summary>
    None = 0,
    /// <summary>429: the provider's rate limit; carries Retry-After when given.</summary>
    RateLimited,
    /// <summary>The attempt ran past its timeout.</summary>
    Timeout,
    /// <summary>A 5xx answer.</summary>
    ServerError,
    /// <summary>The connection was refused, reset or could not be made.</summary>
    ConnectionFailed,
    /// <summary>400: the request itself is wrong; retrying does not help.</summary>
    InvalidRequest,
    /// <summary>401/403: the deployment's credentials are wrong or lack permission.</summary>
    Authentication,
    /// <summary>The prompt plus completion does not fit the model's context window.</summary>
    ContextLengthExceeded,
    /// <summary>The provider refused the content.</summary>
    ContentPolicy,
    /// <summary>The provider answered, but not with a body we can read.</summary>
    MalformedResponse,
    /// <summary>The job's deadline passed before it could run.</summary>
    DeadlineExceeded,
    /// <summary>No deployment of the job's model group can take it.</summary>
    NoDeployment,
    /// <summary>The worker's circuit breaker for the deployment is open; the call was not made.</summary>
    CircuitOpen,
    /// <summary>Running the job would cross a spend cap (deployment, model group or tenant) on every deployment that could take it.</summary>
    BudgetExhausted,
    /// <summary>
    /// The worker failed while running the attempt: its adapter, or the reading of the answer,
    /// threw what no other kind describes. The message names the exception.
    /// </summary>
    WorkerFault,
    /// <summary>
    /// The job's batch was ended before the job was: for example an interrupted <c>run</c> of a
    /// file started afresh with <c>--new</c>, which ends the unfinished batch it supersedes, or a
    /// batch cancelled (<see cref="CancelBatch"/>) before the job's attempt started.
    /// </summary>
    BatchCancelled,
    /// <summary>
    /// The job's batch reached the end of its completion window (<see cref="SubmitBatch.CompletionWindow"/>)
    /// before the job ended, and no attempt of it was under way or the one under way failed.
    /// </summary>
    BatchExpired,
}
