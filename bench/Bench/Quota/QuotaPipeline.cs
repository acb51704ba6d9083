using Dispatcher.Batches;
using Dispatcher.Bench.Processes;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dispatcher.Bench.Quota;

/// <summary>
/// The embedded default as <c>Submitter run</c> runs it (dispatcher and workers in the bench's
/// process, in-memory transport, a SQLite ledger file), started on a catalog file: batches are
/// published into it with the product's <see cref="BatchPublisher"/>, optionally as a tenant's.
/// </summary>
internal sealed class QuotaPipeline : IAsyncDisposable
{
    private static readonly TimeSpan LedgerPoll = TimeSpan.FromMilliseconds(50);

    private readonly IHost _host;

    private QuotaPipeline(IHost host) => _host = host;

    /// <summary>The pipeline's quota book (its deployments' buckets and windows).</summary>
    public QuotaBook Quotas => _host.Services.GetRequiredService<QuotaBook>();

    /// <summary>Starts a pipeline on the catalog in <paramref name="config"/> with its ledger at <paramref name="ledgerPath"/>.</summary>
    public static async Task<QuotaPipeline> StartAsync(string config, string ledgerPath, CancellationToken ct)
    {
        var host = SubmitterHosts.Embedded(config, ledgerPath);
        await host.StartAsync(ct);
        return new QuotaPipeline(host);
    }

    /// <summary>Publishes a batch file as batch <paramref name="batchId"/>, every job billed to <paramref name="tenant"/> (none when null).</summary>
    public Task<int> PublishAsync(string file, string batchId, int lines, string? tenant, CancellationToken ct) =>
        new BatchPublisher(_host.Services.GetRequiredService<IBus>(), tenant: tenant)
            .PublishAsync(file, batchId, lines, BatchFileLimits.Default, progress: null, ct);

    /// <summary>Whether the ledger shows batch <paramref name="batchId"/> complete.</summary>
    public async Task<bool> IsCompleteAsync(string batchId, CancellationToken ct) =>
        await _host.Services.GetRequiredService<JobLedger>().GetBatchStatusAsync(batchId, ct) is { IsComplete: true };

    /// <summary>Waits, polling the ledger every 50 ms and for at most <paramref name="timeout"/>, until <paramref name="done"/> holds.</summary>
    public static Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what, CancellationToken ct) =>
        Polling.UntilAsync(done, LedgerPoll, timeout, what, ct);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
