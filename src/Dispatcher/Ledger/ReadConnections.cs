using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;

namespace Dispatcher.Ledger;

/// <summary>
/// Long-lived read connections, so that the reads every job makes stay compiled on them
/// (<see cref="Statement"/>). At most <c>count</c> reads run at once; more wait for a connection.
/// Connections open as they are first needed.
/// </summary>
internal sealed class ReadConnections(Func<CancellationToken, Task<DbConnection>> open, int count) : IAsyncDisposable
{
    private readonly ConcurrentQueue<DbConnection> _idle = new();
    private readonly SemaphoreSlim _slots = new(count, count);

    /// <summary>Runs <paramref name="read"/> on a connection of its own for as long as it runs.</summary>
    public async Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            var connection = _idle.TryDequeue(out var idle) ? idle : await open(ct);
            try
            {
                return await read(connection, ct);
            }
            finally
            {
                if (connection.State == ConnectionState.Open)
                {
                    _idle.Enqueue(connection);
                }
                else
                {
                    // A server connection that broke under the read: the next read opens another.
                    await connection.DisposeAsync();
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Closes the idle connections; call once no read runs.</summary>
    public async ValueTask DisposeAsync()
    {
        while (_idle.TryDequeue(out var connection))
        {
            await connection.DisposeAsync();
        }

        _slots.Dispose();
    }
}
