using System.Runtime.CompilerServices;
using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Tests.Ledger;

public sealed class ReadConnectionsTests
{
    [Fact]
    public async Task ManyReads_RunAtMostCountAtOnce_OnConnectionsOpenedOnceAndKept()
    {
        var opened = new StrongBox<int>();
        await using var readers = new ReadConnections(Counting(opened), count: 2);
        var running = 0;
        var most = 0;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<System.Data.Common.DbConnection, bool>();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => readers.RunAsync(
            async (c, ct) =>
            {
                seen[c] = true;
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Delay(20, ct);
                Interlocked.Decrement(ref running);
                return 0;
            },
            CancellationToken.None)));

        most.ShouldBe(2);
        opened.Value.ShouldBe(2);
        seen.Count.ShouldBe(2);
    }

    [Fact]
    public async Task ReadFails_ItsConnectionServesTheNextRead()
    {
        var opened = new StrongBox<int>();
        await using var readers = new ReadConnections(Counting(opened), count: 1);

        await Should.ThrowAsync<InvalidOperationException>(() => readers.RunAsync<int>((_, _) => throw new InvalidOperationException("bad read"), CancellationToken.None));
        (await readers.RunAsync((c, _) => Task.FromResult(c.State), CancellationToken.None)).ShouldBe(System.Data.ConnectionState.Open);

        opened.Value.ShouldBe(1);
    }

    // Opens in-memory connections, counting them.
    private static Func<CancellationToken, Task<System.Data.Common.DbConnection>> Counting(StrongBox<int> opened) => async ct =>
    {
        Interlocked.Increment(ref opened.Value);
        var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(ct);
        return connection;
    };

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
