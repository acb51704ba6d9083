using Dapper;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Tests.Ledger;

/// <summary>
/// Group commit keeps each write whole: a write that fails half-way leaves none of its
/// statements behind while the others in its transaction commit, and a write is reported
/// committed only when its transaction really committed.
/// </summary>
public sealed class LedgerWriterTests : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _path;
    private readonly LedgerWriter _writer;
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LedgerWriterTests()
    {
        _path = _dir.File("ledger.db");
        using (var c = Open())
        {
            c.Execute("CREATE TABLE items (name TEXT PRIMARY KEY)");
        }

        _writer = new LedgerWriter(new SqliteDialect($"Data Source={_path};Pooling=False"));
    }

    [Fact]
    public async Task RunAsync_WriteFailsHalfWay_ItsEarlierStatementsAreUndoneAndTheOthersCommit()
    {
        // The writer is busy with a transaction of its own until all three are queued, so they
        // share the next one.
        var hold = await HoldTheWriterAsync();
        var before = Insert("before");
        var broken = _writer.RunAsync(
            async (c, ct) =>
            {
                await c.ExecuteAsync("INSERT INTO items VALUES ('half')");
                return await c.ExecuteAsync("INSERT INTO items VALUES ('before')"); // duplicate key
            },
            default);
        var after = Insert("after");
        _gate.SetResult();

        await hold;
        (await before).ShouldBe(1);
        await Should.ThrowAsync<SqliteException>(broken);
        (await after).ShouldBe(1);
        Names().ShouldBe(["after", "before"]);
    }

    [Fact]
    public async Task RunAsync_WriteFailsAmongOthers_ItRunsOnceAndTheOthersCommitOnce()
    {
        var hold = await HoldTheWriterAsync();
        var runs = 0;
        var before = Insert("before");
        var broken = _writer.RunAsync(
            async (c, ct) =>
            {
                Interlocked.Increment(ref runs);
                return await c.ExecuteAsync("INSERT INTO items VALUES ('before')"); // duplicate key
            },
            default);
        var after = Insert("after");
        _gate.SetResult();

        await hold;
        (await before).ShouldBe(1);
        (await after).ShouldBe(1);
        await Should.ThrowAsync<SqliteException>(broken);
        runs.ShouldBe(1, "the transaction ran again without the write that failed");
        Names().ShouldBe(["after", "before"]);
    }

    [Fact]
    public async Task RunAsync_StatementWriteFailsAmongOthers_ItFailsAloneAndTheOthersCommitWithTheirResults()
    {
        await Insert("taken");
        var hold = await HoldTheWriterAsync();
        var first = _writer.RunAsync([StatementCall.Execute(InsertItem, "a"), StatementCall.Query<Item>(ReadItem, "a")], r => ((int)r[0]!, (r[1] as Item)?.Name), default);
        var broken = _writer.RunAsync([StatementCall.Execute(InsertItem, "b"), StatementCall.Execute(InsertItem, "taken")], r => r[1], default);
        var last = _writer.RunAsync([StatementCall.Execute(InsertItem, "c")], r => (int)r[0]!, default);
        _gate.SetResult();

        await hold;
        (await first).ShouldBe((1, "a"));
        (await last).ShouldBe(1);
        await Should.ThrowAsync<SqliteException>(broken);
        Names().ShouldBe(["a", "c", "taken"]);
    }

    [Fact]
    public async Task RunAsync_TransactionRolledBackUnderAWrite_EveryWriteOfItIsReportedFailed()
    {
        var hold = await HoldTheWriterAsync();
        var before = Insert("before");
        // What SQLite does by itself on some errors (a full disk, an I/O error): the whole
        // transaction is gone, with the writes that ran before in it.
        var rollback = _writer.RunAsync<int>(
            async (c, ct) =>
            {
                await c.ExecuteAsync("ROLLBACK");
                throw new SqliteException("the transaction was rolled back", 13);
            },
            default);
        var after = Insert("after");
        _gate.SetResult();

        (await hold).ShouldBe(0, "it committed in a transaction of its own");
        await before.ShouldThrowAsync<Exception>();
        await rollback.ShouldThrowAsync<Exception>();
        await after.ShouldThrowAsync<Exception>();
        Names().ShouldBeEmpty();

        // The writer keeps working afterwards.
        (await Insert("later")).ShouldBe(1);
        Names().ShouldBe(["later"]);
    }

    [Fact]
    public async Task RunAsync_FileLockedByAnotherConnectionAndTokenCancelled_WriteIsCancelledWithoutWaitingOutTheLock()
    {
        await Insert("first");
        await using var holder = await LockAsync();
        using var cts = new CancellationTokenSource();
        var blocked = Insert("blocked", cts.Token);
        await Task.Delay(200);

        await cts.CancelAsync();

        // The busy timeout is 30 s; a write that waited it out would time out here instead.
        var error = await Record.ExceptionAsync(() => blocked.WaitAsync(TimeSpan.FromSeconds(10)));
        error.ShouldBeAssignableTo<OperationCanceledException>();
        ((OperationCanceledException)error).CancellationToken.ShouldBe(cts.Token, "the caller recognises its own cancellation");
        await holder.ExecuteAsync("ROLLBACK");
        await Insert("after");
        Names().ShouldBe(["after", "first"]);
    }

    [Fact]
    public async Task RunAsync_FileLockedAndOneOfTwoWritesCancelled_TheOtherCommitsOnceTheLockIsGone()
    {
        await Insert("first");
        await using var holder = await LockAsync();
        using var cts = new CancellationTokenSource();
        var cancelled = Insert("cancelled", cts.Token);
        var kept = Insert("kept");
        await Task.Delay(200);

        await cts.CancelAsync();
        (await Record.ExceptionAsync(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10)))).ShouldBeAssignableTo<OperationCanceledException>();
        kept.IsCompleted.ShouldBeFalse("the other write still waits for the lock");
        await holder.ExecuteAsync("ROLLBACK");

        (await kept.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe(1);
        Names().ShouldBe(["first", "kept"]);
    }

    [Fact]
    public async Task DisposeAsync_FileLockedByAnotherConnection_ReturnsWithoutWaitingOutTheLockAndFailsTheWrite()
    {
        await Insert("first");
        await using var holder = await LockAsync();
        var blocked = Insert("blocked");
        await Task.Delay(200);

        var closing = _writer.DisposeAsync().AsTask();

        (await Task.WhenAny(closing, Task.Delay(TimeSpan.FromSeconds(10)))).ShouldBe(closing, "closing waited for the lock");
        await closing;
        (await Record.ExceptionAsync(() => blocked.WaitAsync(TimeSpan.FromSeconds(1)))).ShouldBeAssignableTo<OperationCanceledException>();
    }

    private async Task<SqliteConnection> LockAsync()
    {
        var holder = Open();
        await holder.OpenAsync();
        await holder.ExecuteAsync("BEGIN EXCLUSIVE");
        return holder;
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    // A write that keeps the writer's current transaction open until the gate opens; returned once
    // it runs, so the writes queued after it cannot be in its transaction and form the next one.
    private async Task<Task<int>> HoldTheWriterAsync()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = _writer.RunAsync(
            async (c, ct) =>
            {
                running.SetResult();
                await _gate.Task;
                return 0;
            },
            default);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return hold;
    }

    private static readonly Statement InsertItem = new("INSERT INTO items VALUES (@name)", "@name");
    private static readonly Statement ReadItem = new("SELECT name AS Name FROM items WHERE name = @name", "@name");

    private Task<int> Insert(string name, CancellationToken cancellationToken = default) =>
        _writer.RunAsync((c, ct) => c.ExecuteAsync(new CommandDefinition("INSERT INTO items VALUES (@name)", new { name }, cancellationToken: ct)), cancellationToken);

    private List<string> Names()
    {
        using var c = Open();
        return c.Query<string>("SELECT name FROM items ORDER BY name").ToList();
    }

    private SqliteConnection Open() => new($"Data Source={_path};Pooling=False");

    private sealed class Item
    {
        public string Name { get; init; } = "";
    }
}
