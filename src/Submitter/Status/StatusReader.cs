using System.Net.Http.Json;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.Submitter.Status;

/// <summary>
/// Reads the system's status: from a running dispatcher's <c>GET /api/status</c> when it answers
/// (a batch asked for is looked up by the dispatcher in its own ledger, so the local ledger is
/// never opened), otherwise from the ledger (batches, jobs per deployment, breakers as last
/// recorded, providers' pauses as last saved) and, on
/// RabbitMQ, the management API (queues). Live quota use and the jobs waiting for quota exist
/// only inside the dispatcher, so the fallback leaves them out.
/// </summary>
/// <param name="ledger">Opens the local ledger; called only when no dispatcher answers.</param>
internal sealed class StatusReader(HttpClient http, Uri dispatcher, IConfiguration configuration, Func<CancellationToken, Task<JobLedger>> ledger, TimeProvider time)
{
    /// <summary>The configuration key naming the dispatcher's address for <c>status</c> and <c>watch</c>.</summary>
    public const string DispatcherUrlKey = "Monitoring:DispatcherUrl";

    /// <summary>Where the dispatcher listens when nothing says otherwise (its own default <c>Urls</c>).</summary>
    public const string DefaultDispatcherUrl = "http://127.0.0.1:5080/";

    private const int RecentBatches = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private DispatcherStatus? _previous;

    /// <summary>The dispatcher address: the option, else <see cref="DispatcherUrlKey"/>, else <see cref="DefaultDispatcherUrl"/>.</summary>
    public static Uri ResolveDispatcher(string? option, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = option ?? configuration[DispatcherUrlKey] ?? DefaultDispatcherUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"--dispatcher / {DispatcherUrlKey} must be an absolute http(s) address, got '{text}'");
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>The dispatcher's status API address.</summary>
    public Uri StatusUri { get; } = new(dispatcher, "api/status");

    /// <summary>
    /// One reading; <paramref name="batchId"/>, when given, is asked of the dispatcher (its
    /// <c>?batch=</c> parameter), or looked up in the ledger when no dispatcher answers, should the
    /// recent list lack it.
    /// </summary>
    public async Task<StatusReport> ReadAsync(string? batchId, CancellationToken ct)
    {
        if (await TryDispatcherAsync(batchId, ct) is { } fromDispatcher)
        {
            _previous = fromDispatcher;
            return new StatusReport(fromDispatcher, $"dispatcher at {dispatcher.GetLeftPart(UriPartial.Authority)}");
        }

        var local = await ledger(ct);
        var status = await FromLedgerAsync(local, ct);
        _previous = status;
        if (batchId is not null && await local.GetBatchStatusAsync(batchId, ct) is { } row)
        {
            status = StatusSnapshotBuilder.Including(status, row);
        }

        return new StatusReport(status, $"ledger {local.Location} (no dispatcher answered at {dispatcher.GetLeftPart(UriPartial.Authority)})");
    }

    private async Task<DispatcherStatus?> TryDispatcherAsync(string? batchId, CancellationToken ct)
    {
        var uri = batchId is null ? StatusUri : new Uri(StatusUri, "?batch=" + Uri.EscapeDataString(batchId));
        try
        {
            return await http.GetFromJsonAsync<DispatcherStatus>(uri, Json, ct);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException
            || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    private async Task<DispatcherStatus> FromLedgerAsync(JobLedger local, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        var catalog = configuration.GetSection(CatalogOptions.Section).Get<CatalogOptions>() ?? new CatalogOptions();
        var transport = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>() ?? new TransportOptions();
        var breakers = (await local.ListBreakersAsync(ct)).ToDictionary(b => b.DeploymentId, StatusSnapshotBuilder.FromLedger, StringComparer.Ordinal);
        var shares = (await local.ListDeploymentSharesAsync(ct)).ToDictionary(s => s.DeploymentId, StringComparer.Ordinal);
        var pauses = (await local.ListPausesAsync(at, ct)).ToDictionary(p => p.DeploymentId, p => PauseStatus.From(p, at, "ledger"), StringComparer.Ordinal);
        var deployments = catalog.Deployments.Select(d => new DeploymentStatus(
            d.Id,
            d.ModelGroup,
            d.Provider.ToString(),
            null,
            breakers.GetValueOrDefault(d.Id) ?? new BreakerStatus("closed", null, null, "default"),
            shares.GetValueOrDefault(d.Id)?.Succeeded ?? 0,
            shares.GetValueOrDefault(d.Id)?.Failed ?? 0,
            pauses.GetValueOrDefault(d.Id))).ToList();
        var batches = StatusSnapshotBuilder.Totals(await local.ListBatchesAsync(RecentBatches, ct), _previous, at);
        return new DispatcherStatus(at, transport.Kind.ToString(), await QueuesAsync(transport, ct), deployments, [], batches, 0, await local.GetLooseJobsAsync(ct));
    }

    private async Task<QueueStatus> QueuesAsync(TransportOptions transport, CancellationToken ct)
    {
        if (transport.Kind != TransportKind.RabbitMq)
        {
            return new QueueStatus(null, "unavailable: the in-memory transport's queues live inside the running process", []);
        }

        try
        {
            var client = new RabbitMqManagementClient(http, RabbitMqManagementOptions.ForBroker(transport.RabbitMq));
            var queues = await client.GetQueueDepthsAsync(ct);
            return new QueueStatus(time.GetUtcNow(), "management-api", queues);
        }
        catch (RabbitMqManagementException e)
        {
            return new QueueStatus(null, "unavailable: " + e.Message, []);
        }
    }
}
