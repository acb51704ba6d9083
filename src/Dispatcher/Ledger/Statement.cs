using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>
/// A statement the ledger runs for every job, compiled once per connection and run again with
/// new values: SQLite then skips parsing and planning it each time (PostgreSQL's connections
/// prepare the statements that recur by themselves, see <see cref="PostgresDialect"/>). Its values are given in the
/// order its parameters are named. A connection's commands are used by one caller at a time
/// (the ledger's writer, or the one read holding a read connection), like the connection itself.
/// </summary>
internal sealed class Statement
{
    private readonly string _sql;
    private readonly string[] _parameters;
    private readonly ConditionalWeakTable<DbConnection, DbCommand> _commands = new();

    // The row mapping of a query, built from its columns once: they are the same on every run.
    private object? _parser;

    /// <summary>A statement with its parameters' names, as they appear in <paramref name="sql"/>.</summary>
    public Statement(string sql, params string[] parameters)
    {
        _sql = sql;
        _parameters = parameters;
    }

    /// <summary>Runs the statement; returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(DbConnection connection, CancellationToken ct, params object?[] values) =>
        Bind(connection, values).ExecuteNonQueryAsync(ct);

    /// <summary>Runs the query and maps its first row, or returns null when it has none.</summary>
    public async Task<T?> QueryFirstOrDefaultAsync<T>(DbConnection connection, CancellationToken ct, params object?[] values)
        where T : class
    {
        await using var reader = await Bind(connection, values).ExecuteReaderAsync(ct);
        return await ReadFirstOrDefaultAsync<T>(reader, ct);
    }

    /// <summary>Maps the first row of the result set <paramref name="reader"/> is on, or returns null when it has none.</summary>
    public async Task<T?> ReadFirstOrDefaultAsync<T>(DbDataReader reader, CancellationToken ct)
        where T : class
    {
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        if (_parser is not Func<DbDataReader, T> parser)
        {
            parser = reader.GetRowParser<T>();
            _parser = parser;
        }

        return parser(reader);
    }

    /// <summary>Adds a run of the statement with <paramref name="values"/> to <paramref name="batch"/>.</summary>
    public void AddTo(DbBatch batch, object?[] values)
    {
        CheckCount(values);
        var command = batch.CreateBatchCommand();
        command.CommandText = _sql;
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = _parameters[i];
            parameter.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        batch.BatchCommands.Add(command);
    }

    private DbCommand Bind(DbConnection connection, object?[] values)
    {
        CheckCount(values);
        var command = _commands.GetValue(connection, Prepare);
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command;
    }

    private void CheckCount(object?[] values)
    {
        if (values.Length != _parameters.Length)
        {
            throw new ArgumentException($"the statement takes {_parameters.Length} values, got {values.Length}", nameof(values));
        }
    }

    private DbCommand Prepare(DbConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = _sql;
        foreach (var name in _parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
        }

        // Npgsql would prepare the statement for the types of these first values, all unknown;
        // it prepares it by itself, for the types each run binds, once it recurs.
        if (connection is SqliteConnection)
        {
            command.Prepare();
        }

        return command;
    }
}
