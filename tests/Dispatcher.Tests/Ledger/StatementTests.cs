using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Tests.Ledger;

public sealed class StatementTests : IAsyncLifetime
{
    private static readonly Statement Insert = new("INSERT INTO t(k, v) VALUES (@k, @v) ON CONFLICT(k) DO NOTHING", "@k", "@v");
    private static readonly Statement Read = new("SELECT k AS K, v AS V FROM t WHERE k = @k", "@k");

    private readonly SqliteConnection _first = new("Data Source=:memory:");
    private readonly SqliteConnection _second = new("Data Source=:memory:");

    public async Task InitializeAsync()
    {
        foreach (var connection in new[] { _first, _second })
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT)";
            await create.ExecuteNonQueryAsync();
        }
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task RunAgain_WithNewValues_EachRunUsesItsOwn()
    {
        (await Insert.ExecuteAsync(_first, default, "a", "one")).ShouldBe(1);
        (await Insert.ExecuteAsync(_first, default, "b", null)).ShouldBe(1);
        (await Insert.ExecuteAsync(_first, default, "a", "again")).ShouldBe(0, "the conflict leaves the first row");

        (await Read.QueryFirstOrDefaultAsync<Row>(_first, default, "a")).ShouldBe(new Row { K = "a", V = "one" });
        (await Read.QueryFirstOrDefaultAsync<Row>(_first, default, "b")).ShouldBe(new Row { K = "b", V = null });
        (await Read.QueryFirstOrDefaultAsync<Row>(_first, default, "c")).ShouldBeNull();
    }

    [Fact]
    public async Task TwoConnections_EachRunsOnItsOwn()
    {
        await Insert.ExecuteAsync(_first, default, "a", "first");
        await Insert.ExecuteAsync(_second, default, "a", "second");

        (await Read.QueryFirstOrDefaultAsync<Row>(_first, default, "a"))!.V.ShouldBe("first");
        (await Read.QueryFirstOrDefaultAsync<Row>(_second, default, "a"))!.V.ShouldBe("second");
    }

    [Fact]
    public async Task WrongNumberOfValues_IsRefusedNamingBoth()
    {
        var error = await Should.ThrowAsync<ArgumentException>(() => Insert.ExecuteAsync(_first, default, "a"));

        error.Message.ShouldContain("takes 2 values, got 1");
    }

    private sealed record Row
    {
        public required string K { get; init; }

        public string? V { get; init; }
    }
}
