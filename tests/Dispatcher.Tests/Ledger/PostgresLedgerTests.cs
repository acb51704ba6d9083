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

    [Theory]
    [InlineData(null, "15s")]
    [InlineData("-c idle_in_transaction_session_timeout=1min", "1min")]
    public async Task ForOptions_IdleInTransactionTimeout_SetUnlessTheConnectionStringSetsIt(string? options, string expected)
    {
        await NewStoreAsync();
        await using var dialect = PostgresDialect.ForOptions(new LedgerOptions
        {
            Provider = LedgerProvider.Postgres,
            ConnectionString = new NpgsqlConnectionStringBuilder(_connectionString) { Options = options }.ConnectionString,
        });

        await using var connection = (NpgsqlConnection)await dialect.OpenAsync(default);
        await using var show = new NpgsqlCommand("SHOW idle_in_transaction_session_timeout", connection);

        (await show.ExecuteScalarAsync()).ShouldBe(expected);
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
    public async Task RunAsync_StatementWritesSentTogetherAndOneFails_ItFailsAloneAndTheOthersCommitWithTheirResults()
    {
        await using var writer = await ItemsWriterAsync();
        await writer.RunAsync([StatementCall.Execute(InsertItem, "taken")], r => r[0], default);
        var (hold, gate) = await HoldAsync(writer);

        // Queued while the writer is held, the three share its next transaction and its batch.
        var first = writer.RunAsync([StatementCall.Execute(InsertItem, "a"), StatementCall.Query<Item>(ReadItem, "a")], r => ((int)r[0]!, (r[1] as Item)?.Name), default);
        var broken = writer.RunAsync([StatementCall.Execute(InsertItem, "b"), StatementCall.Execute(InsertItem, "taken")], r => r[1], default);
        var last = writer.RunAsync([StatementCall.Execute(InsertItem, "c"), StatementCall.Query<Item>(ReadItem, "taken")], r => ((int)r[0]!, (r[1] as Item)?.Name), default);
        gate.SetResult();
        await hold;

        (await first).ShouldBe((1, "a"));
        (await last).ShouldBe((1, "taken"));
        (await Should.ThrowAsync<PostgresException>(broken)).SqlState.ShouldBe(PostgresErrorCodes.UniqueViolation);
        (await ItemsAsync(writer)).ShouldBe(["a", "c", "taken"], "the failed write's first statement was undone with it");
    }

    [Fact]
    public async Task RunAsync_StatementWritesBesideAWriteThatFails_TheWriteFailsAloneAndTheOthersCommit()
    {
        await using var writer = await ItemsWriterAsync();
        var (hold, gate) = await HoldAsync(writer);

        var first = writer.RunAsync([StatementCall.Execute(InsertItem, "a")], r => (int)r[0]!, default);
        var broken = writer.RunAsync(
            async (c, ct) =>
            {
                await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO items VALUES ('half')");
                return await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO items VALUES ('a')"); // duplicate key
            },
            default);
        var last = writer.RunAsync([StatementCall.Execute(InsertItem, "c")], r => (int)r[0]!, default);
        gate.SetResult();
        await hold;

        (await first).ShouldBe(1);
        (await last).ShouldBe(1);
        await Should.ThrowAsync<PostgresException>(broken);
        (await ItemsAsync(writer)).ShouldBe(["a", "c"]);
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

    [Fact]
    public async Task ClaimAttemptAsync_TwoLedgersHoldOnOneTenantCapAtOnce_NeverCrossItAndExactlyThoseThatFitAreClaimed()
    {
        // 0.3 a claim against a cap of 10: 33 fit (9.9), the 34th would make 10.2.
        const int Claims = 80;
        var period = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var hold = new SpendHold("tenant:acme", period, 10m, 0.3m, 0m);
        await using var other = Open(TimeProvider.System);
        await other.InitializeAsync(default);
        var jobs = new List<string>();
        for (var i = 0; i < Claims; i++)
        {
            jobs.Add((await Ledger.AcceptJobAsync(Job("c" + i), default)).Job.JobId);
        }

        // Two processes' ledgers, each with its own writer connection, claim side by side.
        var claims = await Task.WhenAll(jobs.Select((id, i) => Task.Run(() =>
            (i % 2 == 0 ? Ledger : other).ClaimAttemptAsync(id, "d1", 1, i + 1, null, null, hold, default))));

        claims.Count(c => c == AttemptClaim.Claimed).ShouldBe(33);
        claims.Count(c => c == AttemptClaim.OverBudget).ShouldBe(Claims - 33);
        var account = (await Ledger.GetSpendAccountAsync("tenant:acme", period, default)).ShouldNotBeNull();
        (account.Spent, account.Reserved).ShouldBe((0m, 9.9m));
        var dispatched = 0;
        foreach (var id in jobs)
        {
            dispatched += (await Ledger.GetJobAsync(id, default))!.State == JobState.Dispatched ? 1 : 0;
        }

        dispatched.ShouldBe(33, "a claim over the cap leaves its job unclaimed");
    }

    [Fact]
    public async Task ClaimAttemptAsync_AttemptAlreadyClaimed_RefusedAndItsHoldGivenBack()
    {
        var period = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var hold = new SpendHold("tenant:acme", period, 10m, 1m, 0m);
        var id = (await Ledger.AcceptJobAsync(Job("once"), default)).Job.JobId;

        var first = await Ledger.ClaimAttemptAsync(id, "d1", 1, 1, null, null, hold, default);
        var second = await Ledger.ClaimAttemptAsync(id, "d1", 1, 2, null, null, hold, default);

        (first, second).ShouldBe((AttemptClaim.Claimed, AttemptClaim.Refused));
        (await Ledger.GetSpendAccountAsync("tenant:acme", period, default))!.Reserved.ShouldBe(1m);
    }

    [Fact]
    public async Task RecordAttemptAsync_FirstReportSettlesTheHold_ARepeatedReportChangesNothing()
    {
        var period = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var id = (await Ledger.AcceptJobAsync(Job("settled"), default)).Job.JobId;
        await Ledger.ClaimAttemptAsync(id, "d1", 1, 1, null, null, new SpendHold("tenant:acme", period, 10m, 1m, 0m), default);
        var report = new AttemptRow { JobId = id, Attempt = 1, DeploymentId = "d1", ErrorKind = "None", LatencyMs = 1, PromptTokens = 10, CompletionTokens = 5 };
        var settlement = new SpendSettlement("tenant:acme", period, 1m, 0.25m);

        var first = await Ledger.RecordAttemptAsync(report, settlement, default);
        var repeat = await Ledger.RecordAttemptAsync(report, settlement, default);

        (first, repeat).ShouldBe((true, false));
        (await Ledger.GetSpendAccountAsync("tenant:acme", period, default)).ShouldBe(new SpendAccount(0.25m, 0m));
    }

    [Fact]
    public async Task RecomputeSpendAccountAsync_HoldsNothingWillSettle_DroppedWhileSpendAndAttemptsUnderWayStay()
    {
        var period = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var hold = new SpendHold("tenant:acme", period, 100m, 1m, 0m);
        var (succeeded, underWay, ended) = (await TenantJobAsync("s"), await TenantJobAsync("u"), await TenantJobAsync("e"));
        foreach (var (id, seq) in new[] { (succeeded, 1L), (underWay, 2L), (ended, 3L) })
        {
            await Ledger.ClaimAttemptAsync(id, "d1", 1, seq, null, null, hold, default);
        }

        await Ledger.RecordAttemptAsync(
            new AttemptRow { JobId = succeeded, Attempt = 1, DeploymentId = "d1", ErrorKind = "None", LatencyMs = 1, PromptTokens = 10, CompletionTokens = 5 },
            new SpendSettlement("tenant:acme", period, 1m, 0.25m),
            default);
        await Ledger.CompleteAsync(new JobCompletion(succeeded, true, "d1", 1, "{}", 10, 5, 0.25m, null, null, 200, "r1", 1), default);
        // Ended by something other than its attempt's report (a cancel): nothing settles its hold.
        await Ledger.CompleteAsync(new JobCompletion(ended, false, "d1", 1, null, null, null, 0m, "Cancelled", "cancelled", null, null, 0), default);
        (await Ledger.GetSpendAccountAsync("tenant:acme", period, default)).ShouldBe(new SpendAccount(0.25m, 2m));

        var recomputed = await Ledger.RecomputeSpendAccountAsync("tenant:acme", "acme", period, (deployment, prompt, max) => deployment == "d1" ? (prompt + max) / 100m : 0m, default);

        recomputed.ShouldBe(new SpendAccount(0.25m, 0.3m), "the job under way holds its estimate, (10 + 20) / 100");
        (await Ledger.GetSpendAccountAsync("tenant:acme", period, default)).ShouldBe(recomputed);
    }

    private static readonly Statement InsertItem = new("INSERT INTO items(name) VALUES (@name)", "@name");
    private static readonly Statement ReadItem = new("SELECT name AS Name FROM items WHERE name = @name", "@name");

    // A writer on the test's schema, with a table of its own.
    private async Task<LedgerWriter> ItemsWriterAsync()
    {
        var writer = new LedgerWriter(PostgresDialect.ForOptions(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = _connectionString }));
        await writer.RunAsync((c, ct) => Dapper.SqlMapper.ExecuteAsync(c, "CREATE TABLE items (name TEXT COLLATE \"C\" PRIMARY KEY)"), default);
        return writer;
    }

    // A write that keeps the writer's transaction open until the gate opens; returned once it runs,
    // so the writes queued after it form the next transaction together.
    private static async Task<(Task<int> Hold, TaskCompletionSource Gate)> HoldAsync(LedgerWriter writer)
    {
        var (running, gate) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var hold = writer.RunAsync(
            async (c, ct) =>
            {
                running.SetResult();
                await gate.Task;
                return 0;
            },
            default);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return (hold, gate);
    }

    private static async Task<List<string>> ItemsAsync(LedgerWriter writer) =>
        await writer.RunAsync(async (c, ct) => (await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT name FROM items ORDER BY name")).ToList(), default);

    private sealed class Item
    {
        public string Name { get; init; } = "";
    }

    private async Task<string> TenantJobAsync(string customId) =>
        (await Ledger.AcceptJobAsync(Job(customId) with { Tenant = "acme" }, default)).Job.JobId;

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
