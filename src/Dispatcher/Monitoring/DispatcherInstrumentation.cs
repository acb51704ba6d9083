using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Fairness;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Monitoring;

/// <summary>
/// The dispatcher's meter and activity source, with every instrument it records, created once
/// per process. Instrument names are a published interface (dashboards and alerts use them, as
/// <c>dispatcher_jobs_routed_total</c> and so on on <c>/metrics</c>): do not rename them.
/// Labels never carry message bodies, keys or free text, only catalog names and error kinds.
/// </summary>
public sealed class DispatcherInstrumentation : IDisposable
{
    /// <summary>The name of the dispatcher's <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string Name = "Dispatcher";

    /// <summary>What the dispatcher program exports: this meter and source, and MassTransit's.</summary>
    public static TelemetrySignals Signals { get; } = new(
        "dispatcher", [Name, TelemetrySignals.MassTransit], [Name, TelemetrySignals.MassTransit], typeof(DispatcherInstrumentation));

    private readonly CatalogOptions _catalog;
    private readonly Dictionary<string, DeploymentOptions> _deployments;
    private readonly QuotaBook _quotas;
    private readonly DispatchGate _gate;
    private readonly SpendBook _spend;
    private readonly IServiceProvider _services;
    private readonly Counter<long> _submitted;
    private readonly Counter<long> _routed;
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _fellBack;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _redriven;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _usageClamped;
    private readonly Counter<long> _deferred;
    private readonly Counter<long> _handedOn;

    /// <summary>Creates the instruments; the gauges read the quota book, the gate, the spend book and, when registered, the breaker and queue-depth monitors.</summary>
    public DispatcherInstrumentation(
        IOptions<CatalogOptions> catalog,
        QuotaBook quotas,
        DispatchGate gate,
        SpendBook spend,
        IServiceProvider services)
    {
        _catalog = catalog.Value;
        _deployments = catalog.Value.Deployments.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _quotas = quotas;
        _gate = gate;
        _spend = spend;
        _services = services;
        var version = typeof(DispatcherInstrumentation).Assembly.GetName().Version?.ToString();
        ActivitySource = new ActivitySource(Name, version);
        Meter = new Meter(Name, version);

        _submitted = Meter.CreateCounter<long>("dispatcher.jobs.submitted", "{job}", "Jobs accepted at intake.");
        _routed = Meter.CreateCounter<long>("dispatcher.jobs.routed", "{attempt}", "Attempts sent to a deployment, by the strategy that chose it.");
        _succeeded = Meter.CreateCounter<long>("dispatcher.jobs.succeeded", "{job}", "Jobs ended with a completion.");
        _failed = Meter.CreateCounter<long>("dispatcher.jobs.failed", "{job}", "Jobs ended as failed, by error kind.");
        _retried = Meter.CreateCounter<long>("dispatcher.jobs.retried", "{attempt}", "Failed attempts tried again, after a delay or on the fallback queue, by the deployment that failed.");
        _fellBack = Meter.CreateCounter<long>("dispatcher.jobs.fell_back", "{attempt}", "Attempts sent to a deployment of another model group than the job's.");
        _deadLettered = Meter.CreateCounter<long>("dispatcher.jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter queue.");
        _redriven = Meter.CreateCounter<long>("dispatcher.jobs.redriven", "{job}", "Jobs nothing worked on any more, found in the ledger and put back in the flow, by why.");
        _tokens = Meter.CreateCounter<long>("dispatcher.tokens", "{token}", "Tokens used, as the provider reported them, by direction (input or output).");
        _cost = Meter.CreateCounter<double>("dispatcher.cost", "USD", "Cost of completed attempts, from the catalog's prices.");
        _latency = Meter.CreateHistogram<double>("dispatcher.provider.latency", "ms", "Time a worker took for one attempt, as the worker reported it.");
        _usageClamped = Meter.CreateCounter<long>(
            "dispatcher.usage_clamped", "{attempt}", "Attempts whose reported usage was more than the request allows, counted and billed at the bound instead.");

        Meter.CreateObservableGauge("dispatcher.inflight", ObserveInFlight, "{attempt}", "Attempts sent and not yet reported back.");
        Meter.CreateObservableGauge("dispatcher.quota.fill", ObserveQuotaFill, "1", "Share of a deployment's request, token, input token, output token or concurrency limit available now (0..1), for the limits its limit model keeps.");
        Meter.CreateObservableGauge("dispatcher.routing.weight", ObserveRoutingWeights, "1", "A deployment's adaptive routing weight, for model groups routed weighted-adaptive: its Weight scaled by its recent health.");
        Meter.CreateObservableGauge("dispatcher.breaker.state", ObserveBreakers, "1", "The dispatcher's breaker per deployment: 0 closed, 1 half-open, 2 open.");
        Meter.CreateObservableGauge("dispatcher.budget.spent", ObserveBudgets, "USD", "Spend in the current period against each configured cap.");
        Meter.CreateObservableGauge("dispatcher.queue.depth", ObserveQueues, "{message}", "Messages in each of the system's queues, ready or delivered and unacknowledged.");
        _deferred = Meter.CreateCounter<long>("dispatcher.jobs.deferred", "{attempt}", "Attempts that would have waited for capacity, sent to their dispatch lane to wait there.");
        _handedOn = Meter.CreateCounter<long>("dispatcher.jobs.handed_on", "{job}", "Jobs taken off the shared intake and sent, unrecorded, to the intake of the share that routes them (several active dispatchers).");
        Meter.CreateObservableGauge("dispatcher.jobs.waiting", () => _gate.Waiting, "{job}", "Jobs held in the dispatcher waiting for quota.");
        Meter.CreateObservableGauge("dispatcher.tenant.waiting", () => ObserveTenants(t => t.Waiting), "{job}", "A tenant's jobs waiting for capacity in the dispatcher.");
        Meter.CreateObservableGauge("dispatcher.tenant.share", () => ObserveTenants(t => t.Share), "1", "A tenant's share of the tokens reserved in the last minute (0..1).");
        Meter.CreateObservableGauge("dispatcher.tenant.wait", () => ObserveTenants(t => t.MeanWaitSeconds), "s", "How long a tenant's attempts sent in the last minute waited for capacity, on average.");
    }

    /// <summary>The dispatcher's activity source: one trace per job, from intake through routing to its result.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary>The dispatcher's meter.</summary>
    public Meter Meter { get; }

    /// <summary>Starts the span of a job's intake.</summary>
    public Activity? StartSubmit(Guid jobId, SubmitCompletion message)
    {
        var activity = ActivitySource.StartActivity("dispatcher.submit");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("job.id", jobId.ToString());
            activity.SetTag("job.custom_id", message.CustomId);
            activity.SetTag("job.batch_id", message.BatchId);
            activity.SetTag("job.model_group", message.ModelGroup);
            activity.SetTag("job.priority", message.Priority);
        }

        return activity;
    }

    /// <summary>
    /// Starts the span of handling one attempt's outcome, in the job's trace when the worker said
    /// which call it reports (outcomes travel in packs, whose message belongs to no one job).
    /// </summary>
    public Activity? StartOutcome(CompletionAttempted outcome)
    {
        var activity = JobTrace.Start(ActivitySource, "dispatcher.outcome", ActivityKind.Consumer, outcome.TraceParent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("job.id", outcome.JobId.ToString());
            activity.SetTag("job.attempt", outcome.Attempt);
            activity.SetTag("deployment", outcome.DeploymentId);
            activity.SetTag("outcome", outcome.Error.ToString());
        }

        return activity;
    }

    /// <summary>Starts the span of one attempt's routing decision and send.</summary>
    public Activity? StartRoute(JobRow job, int attempt)
    {
        var activity = ActivitySource.StartActivity("dispatcher.route");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("job.id", job.JobId);
            activity.SetTag("job.model_group", job.ModelGroup);
            activity.SetTag("job.attempt", attempt);
        }

        return activity;
    }

    /// <summary>Puts a routing decision on its span: where the job goes (or why nowhere), chosen by what, among how many.</summary>
    public static void Decided(Activity? activity, RoutingDecision decision)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag("routing.deployment", decision.Deployment?.Id);
        activity.SetTag("routing.model_group", decision.Deployment?.ModelGroup);
        activity.SetTag("routing.strategy", decision.Strategy);
        activity.SetTag("routing.candidates", decision.Candidates);
        activity.SetTag("routing.filtered_out", decision.FilteredOut);
        activity.SetTag("routing.reason", decision.Reason);
        if (decision.Deployment is null)
        {
            activity.SetTag("routing.refusal", decision.RefusalKind.ToString());
            activity.SetStatus(ActivityStatusCode.Error, decision.RefusalKind.ToString());
        }
    }

    /// <summary>A job was accepted at intake.</summary>
    public void JobSubmitted(string modelGroup) => _submitted.Add(1, new KeyValuePair<string, object?>("model_group", modelGroup));

    /// <summary>An attempt that would have waited for capacity was sent to its dispatch lane.</summary>
    public void JobDeferred(string modelGroup) => _deferred.Add(1, new KeyValuePair<string, object?>("model_group", modelGroup));

    /// <summary><paramref name="jobs"/> jobs taken off the shared intake were sent to the intake of <paramref name="share"/>.</summary>
    public void JobsHandedOn(int share, int jobs) => _handedOn.Add(jobs, new KeyValuePair<string, object?>("share", share));

    /// <summary>An attempt was sent to <paramref name="deploymentId"/>.</summary>
    public void JobRouted(string deploymentId, string modelGroup, string strategy) =>
        _routed.Add(1, new("deployment", deploymentId), new("model_group", modelGroup), new("strategy", strategy));

    /// <summary>
    /// A job of <paramref name="modelGroup"/> that nothing worked on any more was put back in the
    /// flow; <paramref name="kind"/> says what was missing (<c>outcome</c>, <c>dispatch</c>, <c>retry</c>).
    /// </summary>
    public void JobRedriven(string modelGroup, string kind) =>
        _redriven.Add(1, new("model_group", modelGroup), new("missing", kind));

    /// <summary>An attempt that failed on <paramref name="deploymentId"/> with <paramref name="error"/> will be tried again (delay or fallback queue).</summary>
    public void JobRetried(string deploymentId, string modelGroup, ErrorKind error) =>
        _retried.Add(1, new("deployment", deploymentId), new("model_group", modelGroup), new("error_kind", error.ToString()));

    /// <summary>
    /// An attempt of a job of <paramref name="modelGroup"/> was sent to a deployment of
    /// <paramref name="toGroup"/>; counted only when that is another group (a fallback).
    /// </summary>
    public void JobFellBack(string modelGroup, string toGroup)
    {
        if (!string.Equals(modelGroup, toGroup, StringComparison.Ordinal))
        {
            _fellBack.Add(1, new KeyValuePair<string, object?>("model_group", modelGroup), new("to_group", toGroup));
        }
    }

    /// <summary>A job that ended with <paramref name="error"/> was sent to the dead-letter queue.</summary>
    public void JobDeadLettered(string modelGroup, ErrorKind error) =>
        _deadLettered.Add(1, new KeyValuePair<string, object?>("model_group", modelGroup), new("error_kind", error.ToString()));

    /// <summary>
    /// A job's result went out: counts it as succeeded or failed. Called once per job, when its
    /// result is published, so a redelivered job is not counted twice.
    /// </summary>
    public void JobEnded(JobRow job)
    {
        if (job.State == JobState.Succeeded)
        {
            JobSucceeded(job.DeploymentId ?? "", job.ModelGroup);
        }
        else
        {
            _failed.Add(1, new KeyValuePair<string, object?>("model_group", job.ModelGroup), new("error_kind", job.ErrorKind ?? nameof(ErrorKind.ServerError)));
        }
    }

    /// <summary>A job ended with its completion from <paramref name="deploymentId"/>.</summary>
    public void JobSucceeded(string deploymentId, string modelGroup) =>
        _succeeded.Add(1, new KeyValuePair<string, object?>("deployment", deploymentId), new("model_group", modelGroup));

    /// <summary>An attempt on <paramref name="deploymentId"/> reported more usage than its request allows, and was counted at the bound.</summary>
    public void UsageClamped(string deploymentId, string modelGroup) =>
        _usageClamped.Add(1, new KeyValuePair<string, object?>("deployment", deploymentId), new("model_group", modelGroup));

    /// <summary>A worker's report of one attempt arrived (first delivery only): its latency, and for a success its tokens and cost.</summary>
    public void AttemptReported(string modelGroup, CompletionAttempted outcome)
    {
        _latency.Record(outcome.LatencyMs, new KeyValuePair<string, object?>("deployment", outcome.DeploymentId));
        if (outcome.Error != ErrorKind.None || outcome.Usage is not { } usage)
        {
            return;
        }

        _tokens.Add(usage.PromptTokens, new("deployment", outcome.DeploymentId), new("model_group", modelGroup), new("direction", "input"));
        _tokens.Add(usage.CompletionTokens, new("deployment", outcome.DeploymentId), new("model_group", modelGroup), new("direction", "output"));
        if (_deployments.TryGetValue(outcome.DeploymentId, out var deployment))
        {
            _cost.Add((double)CostCalculator.Cost(deployment, usage), new KeyValuePair<string, object?>("deployment", outcome.DeploymentId), new("model_group", modelGroup));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Meter.Dispose();
        ActivitySource.Dispose();
    }

    private IEnumerable<Measurement<int>> ObserveInFlight() =>
        _quotas.Usage().Select(u => new Measurement<int>(u.InFlight, new KeyValuePair<string, object?>("deployment", u.DeploymentId)));

    private IEnumerable<Measurement<double>> ObserveQuotaFill()
    {
        foreach (var usage in _quotas.Usage())
        {
            // Only the limits the deployment's limit model keeps.
            if (usage.RequestsLimit is { } requests)
            {
                yield return Fill(usage, "requests", usage.RequestsAvailable, requests);
            }

            if (usage.TokensLimit is { } tokens)
            {
                yield return Fill(usage, "tokens", usage.TokensAvailable, tokens);
            }

            if (usage.InputTokens is { } input)
            {
                yield return Fill(usage, "input_tokens", input.Available, input.Limit);
            }

            if (usage.OutputTokens is { } output)
            {
                yield return Fill(usage, "output_tokens", output.Available, output.Limit);
            }

            if (usage.MaxConcurrent is { } concurrent)
            {
                yield return Fill(usage, "concurrency", concurrent - usage.InFlight, concurrent);
            }
        }
    }

    private static Measurement<double> Fill(QuotaUsage usage, string bucket, double available, int limit) =>
        new(limit <= 0 ? 1 : Math.Clamp(available / limit, 0, 1), new("deployment", usage.DeploymentId), new("bucket", bucket));

    // The breaker and queue-depth monitors are optional and resolved when first observed: they
    // may depend on services that depend on this class, and a process without them reports nothing.
    private IEnumerable<Measurement<int>> ObserveBreakers() =>
        _services.GetServices<IBreakerStates>()
            .SelectMany(b => b.Current)
            .Select(b => new Measurement<int>((int)b.State, new KeyValuePair<string, object?>("deployment", b.DeploymentId)));

    // Resolved when observed, as the breakers are: a process that does not route reports nothing.
    private IEnumerable<Measurement<double>> ObserveRoutingWeights() =>
        _services.GetService<AdaptiveWeights>() is { } weights
            ? weights.Current(_catalog).Select(w => new Measurement<double>(w.Value.Weight, new KeyValuePair<string, object?>("deployment", w.Key)))
            : [];

    private IEnumerable<Measurement<double>> ObserveBudgets()
    {
        foreach (var (key, _) in _spend.Caps.ToList())
        {
            var colon = key.IndexOf(':', StringComparison.Ordinal);
            var (spent, _) = _spend.Account(key);
            yield return new Measurement<double>((double)spent, new("scope", key[..colon]), new("name", key[(colon + 1)..]));
        }
    }

    private IEnumerable<Measurement<long>> ObserveQueues()
    {
        foreach (var sample in _services.GetServices<IQueueDepths>().SelectMany(q => q.Latest))
        {
            yield return new Measurement<long>(sample.Ready, new("queue", sample.Queue), new("state", "ready"));
            yield return new Measurement<long>(sample.Unacked, new("queue", sample.Queue), new("state", "unacked"));
        }
    }

    private IEnumerable<Measurement<T>> ObserveTenants<T>(Func<TenantShare, T> value)
        where T : struct =>
        _gate.Shares.Tenants().Select(t => new Measurement<T>(value(t), new KeyValuePair<string, object?>("tenant", t.Tenant)));
}
