using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dispatcher.Submitter.Status;

/// <summary>
/// The ledger file <c>status</c> and <c>watch</c> fall back to when no dispatcher answers. It is
/// opened (its host started, the file created if absent) only on first use, so a CLI that reaches
/// a dispatcher never touches a local file: on another machine there is none.
/// </summary>
internal sealed class LocalLedger(string? configFile, string? ledgerPath) : IDisposable
{
    private IHost? _host;

    /// <summary>The ledger, opened on the first call.</summary>
    public async Task<JobLedger> OpenAsync(CancellationToken ct)
    {
        if (_host is null)
        {
            var host = SubmitterHosts.LedgerOnly(configFile, ledgerPath);
            try
            {
                await host.StartAsync(ct);
            }
            catch
            {
                host.Dispose();
                throw;
            }

            _host = host;
        }

        return _host.Services.GetRequiredService<JobLedger>();
    }

    public void Dispose() => _host?.Dispose();
}
