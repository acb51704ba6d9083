using Dispatcher.Ledger;
using Npgsql;

namespace Dispatcher.Tests.Ledger;

/// <summary>
/// The ledger contract on PostgreSQL (a private cluster, a schema per test), and what only a server
/// does: drop a connection under the ledger.
/// </summary>
[Collection(PostgresClusterFixture.Name)]
public sealed class PostgresLedgerTests(PostgresClusterFixture postgres) : LedgerContractTests
{
    private string _connectionString = "";

    protected override async Task<LedgerOptions> NewStoreAsync()
    {
        var database = await postgres.DatabaseForAsync(GetType());
        var schema = "t" + Guid.NewGuid().ToString("N");
        _connectionString = new NpgsqlConnectionStringBuilder(await postgres.Cluster.CreateSchemaAsync(database, schema)) { ApplicationName = schema }.ConnectionString;
        return new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = _connectionString };
    }

    [Fact]
    public async Task AcceptJobAsync_ServerDroppedTheWritersConnection_FailsAsTransientThenTheNextWriteCommits()
    {
        await Ledger.AcceptJobAsync(Job("before"), default);

        await TerminateTheLedgersConnectionsAsync();
        var failure = await Record.ExceptionAsync(() => Ledger.AcceptJobAsync(Job("lost"), default));
        var after = await Ledger.AcceptJobAsync(Job("after"), default);

        failure.ShouldNotBeNull("the writer's connection was gone");
        TransientLedgerError.IsMatch(failure).ShouldBeTrue($"a dropped connection is worth trying again: {failure}");
        after.Recorded.ShouldBeTrue("the writer opened a new connection");
        (await Ledger.GetJobAsync(after.Job.JobId, default)).ShouldNotBeNull();
    }

    [Fact]
    public async Task RunAsync_ConnectionLostUnderATransaction_WritesFailAsTransientThenTheNextWriteCommits()
    {
        await Ledger.AcceptJobAsync(Job("before"), default);
        await using var writer = new LedgerWriter(PostgresDialect.ForOptions(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = _connectionString }));

        // The server ends the session while the writer's transaction is open, under a write.
        var failure = await Record.ExceptionAsync(() => writer.RunAsync(
            async (connection, ct) => await Dapper.SqlMapper.ExecuteScalarAsync<bool>(connection, "SELECT pg_terminate_backend(pg_backend_pid())"),
            default));
        var after = await writer.RunAsync(
            async (connection, ct) => await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM jobs"),
            default);

        failure.ShouldNotBeNull("the session ended under the write");
        TransientLedgerError.IsMatch(failure).ShouldBeTrue($"a lost connection is worth trying again: {failure}");
        after.ShouldBe(1, "the writer opened a new connection");
    }

    [Fact]
    public async Task InitializeAsync_RoleWithAPassword_ConnectsWithThePasswordFromItsVariableOnly()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var (role, password, variable) = ("r" + id, "p" + Guid.NewGuid().ToString("N"), "LEDGER_TEST_PASSWORD_" + id);
        await postgres.Cluster.CreateRoleAsync(role, password);
        var database = await postgres.Cluster.CreateDatabaseAsync("d" + id, owner: role);
        var options = new LedgerOptions
        {
            Provider = LedgerProvider.Postgres,
            ConnectionString = new NpgsqlConnectionStringBuilder(database) { Username = role, Password = "not-the-password" }.ConnectionString,
            PasswordVariable = variable,
        };

        await using (var without = new JobLedger(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System))
        {
            var refused = await Should.ThrowAsync<NpgsqlException>(() => without.InitializeAsync(default));
            refused.ToString().ShouldNotContain("not-the-password");
        }

        Environment.SetEnvironmentVariable(variable, password);
        try
        {
            await using var ledger = new JobLedger(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System);
            await ledger.InitializeAsync(default);
            (await ledger.AcceptJobAsync(Job("a"), default)).Recorded.ShouldBeTrue();
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Location_NamesTheServerAndDatabaseWithoutThePassword()
    {
        var withPassword = new NpgsqlConnectionStringBuilder(_connectionString) { Password = "s3cret-pw" }.ConnectionString;
        await using var ledger = new JobLedger(
            Microsoft.Extensions.Options.Options.Create(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = withPassword }),
            TimeProvider.System);

        ledger.Location.ShouldContain(postgres.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ledger.Location.ShouldNotContain("s3cret-pw");
    }

    // What a server restart or an administrator does to every session of this test's ledgers.
    private async Task TerminateTheLedgersConnectionsAsync()
    {
        var ledgers = new NpgsqlConnectionStringBuilder(_connectionString);
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString) { ApplicationName = "admin", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @name",
            admin);
        terminate.Parameters.AddWithValue("name", ledgers.ApplicationName!);
        ((long)(await terminate.ExecuteScalarAsync())!).ShouldBeGreaterThan(0);
    }
}
