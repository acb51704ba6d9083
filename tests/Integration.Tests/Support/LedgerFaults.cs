using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Support;

/// <summary>Makes the pipeline's ledger fail chosen writes the way SQLite does when its file is locked.</summary>
public sealed class LedgerFaults
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _pending = new(StringComparer.Ordinal);
    private int _injected;

    /// <summary>How many writes failed so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>The next <paramref name="times"/> writes by <paramref name="write"/> (a <see cref="JobLedger"/> method name) fail with SQLITE_BUSY.</summary>
    public void FailNext(string write, int times = 1)
    {
        lock (_lock)
        {
            _pending[write] = _pending.GetValueOrDefault(write) + times;
        }
    }

    /// <summary>Puts a ledger that asks these faults before each write in place of the pipeline's own.</summary>
    public void Install(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton(sp =>
            new JobLedger(sp.GetRequiredService<IOptions<LedgerOptions>>(), sp.GetRequiredService<TimeProvider>(), Next)));

    private Exception? Next(string write)
    {
        lock (_lock)
        {
            if (_pending.GetValueOrDefault(write) <= 0)
            {
                return null;
            }

            _pending[write]--;
        }

        Interlocked.Increment(ref _injected);
        return new SqliteException("SQLite Error 5: 'database is locked'.", 5);
    }
}
