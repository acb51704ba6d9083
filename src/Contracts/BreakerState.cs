namespace Dispatcher.Contracts;

/// <summary>The state of a deployment's circuit breaker in the dispatcher's gate.</summary>
public enum BreakerState
{
    /// <summary>Jobs are routed to the deployment as usual.</summary>
    Closed = 0,
    /// <summary>A bounded number of probe jobs may go to the deployment; their outcomes close or reopen the breaker.</summary>
    HalfOpen = 1,
    /// <summary>No jobs are routed to the deployment until its break ends.</summary>
    Open = 2,
}
