using System.Data.Common;

namespace Dispatcher.Ledger;

/// <summary>
/// One run of a <see cref="Statement"/> with its values, as a write made of statements known before
/// it runs hands it to the writer (<see cref="LedgerWriter.RunAsync{T}(StatementCall[], Func{object?[], T}, CancellationToken)"/>):
/// what it returns is the rows it changed, or, a query's, its first row mapped (null when it has none).
/// </summary>
internal sealed class StatementCall
{
    private readonly Func<DbConnection, CancellationToken, Task<object?>> _run;
    private readonly Func<DbDataReader, CancellationToken, Task<object?>>? _read;

    private StatementCall(
        Statement statement,
        object?[] values,
        Func<DbConnection, CancellationToken, Task<object?>> run,
        Func<DbDataReader, CancellationToken, Task<object?>>? read)
    {
        Statement = statement;
        Values = values;
        _run = run;
        _read = read;
    }

    /// <summary>The statement run.</summary>
    public Statement Statement { get; }

    /// <summary>Its values, in the order its parameters are named.</summary>
    public object?[] Values { get; }

    /// <summary>Whether it is a query, whose result is its first row rather than a count.</summary>
    public bool IsQuery => _read is not null;

    /// <summary>A run of <paramref name="statement"/> whose result is the rows it changed.</summary>
    public static StatementCall Execute(Statement statement, params object?[] values) =>
        new(statement, values, async (c, ct) => await statement.ExecuteAsync(c, ct, values), null);

    /// <summary>A run of the query <paramref name="statement"/> whose result is its first row as a <typeparamref name="T"/>, or null.</summary>
    public static StatementCall Query<T>(Statement statement, params object?[] values)
        where T : class =>
        new(
            statement,
            values,
            async (c, ct) => await statement.QueryFirstOrDefaultAsync<T>(c, ct, values),
            async (reader, ct) => await statement.ReadFirstOrDefaultAsync<T>(reader, ct));

    /// <summary>Runs <paramref name="calls"/> one after the other on <paramref name="connection"/>; returns their results in order.</summary>
    public static async Task<object?[]> RunAllAsync(DbConnection connection, StatementCall[] calls, CancellationToken ct)
    {
        var results = new object?[calls.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            results[i] = await calls[i].RunAsync(connection, ct);
        }

        return results;
    }

    /// <summary>Runs it alone on <paramref name="connection"/>.</summary>
    public Task<object?> RunAsync(DbConnection connection, CancellationToken ct) => _run(connection, ct);

    /// <summary>A query's result from the result set <paramref name="reader"/> is on.</summary>
    public Task<object?> ReadAsync(DbDataReader reader, CancellationToken ct) =>
        _read?.Invoke(reader, ct) ?? throw new InvalidOperationException("not a query");
}
