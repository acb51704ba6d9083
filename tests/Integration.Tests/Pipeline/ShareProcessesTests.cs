using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace Integration.Tests.Pipeline;

/// <summary>
/// Two active dispatchers on one broker and a PostgreSQL ledger, each owning a share of the model
/// groups (<c>Dispatcher:Shares</c>): they split the groups, and when one is killed the other takes
/// its share over, without a provider ever refusing a call for a quota counted twice.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class ShareProcessesTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 300;

    // Two groups, each on a provider that refuses more than 30 calls in three seconds: two
    // dispatchers each counting a group's quota in full would send it twice that. As in the other
    // quota tests on a loaded machine, the time between sending a call and the provider receiving
    // it can be a good share of a three-second window.
    private static readonly object LimitedCatalog = new
    {
        QuotaWindow = "00:00:03",
        QuotaWindowPadding = 1.0,
        Deployments = new[] { Deployment("alpha-1", "alpha"), Deployment("beta-1", "beta") },
        ModelGroups = new[] { new { Name = "alpha", MaxAttempts = 10 }, new { Name = "beta", MaxAttempts = 10 } },
    };

    // Two groups, one in each share, each on a simulated deployment without limits.
    private static readonly object TwoGroups = new
    {
        Deployments = new[] { PipelineEnvironment.Simulated("alpha-1", "alpha"), PipelineEnvironment.Simulated("beta-1", "beta") },
    };

    private static object Deployment(string id, string group) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = 30,
        BurstFraction = 0.5,
        InputPricePerMillion = 1.0,
        OutputPricePerMillion = 2.0,
        Simulation = new { LatencyMs = 5, LatencySigma = 0.2, EnforceRpm = 30, EnforceWindowSeconds = 3 },
    };

    [Fact]
    public async Task TwoDispatchers_SplitTheGroupsAndOneIsKilled_TheOtherTakesItsShareAndEveryCustomIdEndsOnceWithoutProvider429s()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, LimitedCatalog);
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = "00:00:08";
        var outDir = Path.Combine(env.Folder, "out");

        // Started together, each first on its preferred share's queues, then the other's standby.
        await using var processes = await StartTwoAsync(env, variables);
        var (first, second) = (processes.First, processes.Second);
        await using var ledger = new NpgsqlConnection(connectionString);
        await using var submitter = await SubmitUntilUnderwayAsync(env, variables, processes, ledger, "shares", Jobs, underway: 30, outDir);

        // Each dispatcher routes its own share: the groups landed in different shares, one each.
        var firstShares = await OwnedSharesAsync(first);
        var secondShares = await OwnedSharesAsync(second);
        firstShares.ShouldBe([0], Outputs(submitter, first, second));
        secondShares.ShouldBe([1], Outputs(submitter, first, second));
        first.Output.ShouldContain("Took over share 0 (epoch 1): model groups alpha");
        second.Output.ShouldContain("Took over share 1 (epoch 1): model groups beta");

        // Each records only its own share's jobs: those of the other share it took off the intake
        // it handed, unrecorded, to the other's intake.
        var firstMetrics = await MetricsAsync(first);
        var secondMetrics = await MetricsAsync(second);
        firstMetrics.ShouldContain("dispatcher_jobs_submitted_total{model_group=\"alpha\"}");
        firstMetrics.ShouldNotContain("dispatcher_jobs_submitted_total{model_group=\"beta\"}");
        secondMetrics.ShouldContain("dispatcher_jobs_submitted_total{model_group=\"beta\"}");
        secondMetrics.ShouldNotContain("dispatcher_jobs_submitted_total{model_group=\"alpha\"}");
        (firstMetrics + secondMetrics).ShouldContain("dispatcher_jobs_handed_on_total{share=");

        second.Kill(); // as kill -9 would
        var killedAt = DateTimeOffset.UtcNow;

        // The broker hands the killed one's queues to the other, which takes the share over.
        await WaitForAsync(
            async () => await SucceededSinceAsync(ledger, "beta", killedAt) > 0,
            "a beta job ended by the remaining dispatcher",
            () => Outputs(submitter, first, second),
            TimeSpan.FromSeconds(30));
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));

        exit.ShouldBe(0, Outputs(submitter, first, second));
        await ShouldHaveEndedEveryJobOnceWithinTheLimitsAsync(ledger, outDir, "shares");
        var owners = (await ledger.QueryAsync<(long Share, long Epoch, string Owner)>("SELECT share, epoch, owner FROM dispatch_shares ORDER BY share")).ToList();
        owners.Select(o => (o.Share, o.Epoch)).ShouldBe([(0L, 1L), (1L, 2L)], "share 1 was taken over once");
        owners[1].Owner.ShouldBe(owners[0].Owner, "the remaining dispatcher owns both shares");
        (await OwnedSharesAsync(first)).ShouldBe([0, 1]);
    }

    [Fact]
    public async Task Dispatcher_FrozenWhileItsShareIsTakenOverThenWoken_NothingLostDoubledOrOverALimitAndItDropsTheShare()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, LimitedCatalog);
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = "00:00:08";
        variables["DISPATCHER_Dispatcher__BalanceInterval"] = "00:00:01";
        // The broker closes a frozen process's connection after a few seconds instead of a minute or two.
        variables["DISPATCHER_Transport__RabbitMq__Heartbeat"] = "00:00:03";
        var outDir = Path.Combine(env.Folder, "out");
        await using var processes = await StartTwoAsync(env, variables);
        var (first, second) = (processes.First, processes.Second);
        await using var ledger = new NpgsqlConnection(connectionString);
        await using var submitter = await SubmitUntilUnderwayAsync(env, variables, processes, ledger, "frozen", Jobs, underway: 30, outDir);

        // A long pause (a frozen VM, a stop-the-world collection): the process holds its share's
        // messages and its view of the share, but the broker stops hearing from it.
        await second.SignalAsync("STOP");
        try
        {
            await WaitForAsync(
                async () => await ledger.ExecuteScalarAsync<long>("SELECT epoch FROM dispatch_shares WHERE share = 1") == 2,
                "share 1 taken over from the frozen dispatcher",
                () => Outputs(submitter, first, second),
                TimeSpan.FromSeconds(60));
            var takenAt = DateTimeOffset.UtcNow;
            await WaitForAsync(
                async () => await SucceededSinceAsync(ledger, "beta", takenAt) > 0,
                "a beta job ended by the other dispatcher",
                () => Outputs(submitter, first, second),
                TimeSpan.FromSeconds(30));
        }
        finally
        {
            await second.SignalAsync("CONT");
        }

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));

        exit.ShouldBe(0, Outputs(submitter, first, second));
        await ShouldHaveEndedEveryJobOnceWithinTheLimitsAsync(ledger, outDir, "frozen");
        await WaitForAsync(
            () => Task.FromResult(second.Output.Contains("Share 1 (epoch 1) was taken over by another dispatcher; leaving its queues", StringComparison.Ordinal)),
            "the woken dispatcher seeing its share was taken over",
            () => Outputs(submitter, first, second),
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Dispatcher_JobsOfAShareNoDispatcherHasJoinedYet_JoinsItsQueuesAndEveryJobEnds()
    {
        // The other share's dispatcher has not started, and this one would join that share's
        // queues as its standby only minutes from now: until then they do not exist, and a job
        // handed there would be dropped by the broker.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, TwoGroups);
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = "00:10:00";
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0");
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Lane(0) + ".s0");

        await RunAsync(env, variables, "early", dispatcher);

        dispatcher.Output.ShouldContain("Joining the queues of share 1 now");
        (await OwnedSharesAsync(dispatcher)).ShouldBe([0, 1], dispatcher.Output);
        await using var ledger = new NpgsqlConnection(connectionString);
        (await SucceededAsync(ledger, "beta")).ShouldBe(10);
    }

    [Fact]
    public async Task IntakeMessage_RedeliveredToADispatcherNotRoutingItsShare_HandedOnWithTheRightToSendTheAttemptItsDeadOwnerClaimed()
    {
        var callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new { Deployments = new[] { PipelineEnvironment.Simulated("alpha-1", "alpha"), FaultCatalog.Simulated("beta-1", callLog, latencyMs: 5, group: "beta") } };
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = "00:10:00";
        var jobId = Guid.NewGuid();

        // A process routing share 1 (group beta) took the job off the intake, recorded it, claimed its
        // first attempt under the share's epoch and died before sending it or acknowledging the message.
        await using (var declaring = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0"))
        {
            await env.WaitForConsumersAsync(declaring, QueueNames.Intake);
        }

        await using (var died = new JobLedger(Options.Create(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = connectionString }), TimeProvider.System))
        {
            var epoch = await died.ClaimShareAsync(1, "died", default);
            await died.AcceptJobAsync(
                new NewJob(jobId.ToString(), "redelivered", "crashed", "beta", null, 0, null, null, """{"model":"beta","messages":[{"role":"user","content":"hi"}],"max_tokens":16}""", 20, 16),
                default);
            (await died.MarkDispatchedAsync(jobId.ToString(), "beta-1", 1, 1, "the dead owner's claim", replacing: null, new ShareFence(1, epoch), default)).ShouldBeTrue();
        }

        await using (var connection = await env.ConnectionFactory().CreateConnectionAsync())
        {
            await using (var producer = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
            {
                var json = JsonSerializer.Serialize(new
                {
                    jobId,
                    customId = "crashed",
                    modelGroup = "beta",
                    batchId = "redelivered",
                    body = new { model = "beta", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 16 },
                });
                var properties = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = jobId.ToString() };
                await producer.BasicPublishAsync(QueueNames.Intake, "", mandatory: true, properties, System.Text.Encoding.UTF8.GetBytes(json));
            }

            // Taken and never acknowledged: the broker delivers it again, marked redelivered.
            await using var consumer = await connection.CreateChannelAsync();
            (await consumer.BasicGetAsync(QueueNames.Intake, autoAck: false)).ShouldNotBeNull();
        }

        // Only a process preferring share 0 is running: it takes the message off the shared intake and
        // hands the job to share 1's intake (joining share 1's queues to do so), where the delivery,
        // a new message, carries the redelivery's right to send the claimed attempt.
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0");
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await using var ledger = new NpgsqlConnection(connectionString);
        await WaitForAsync(
            async () => await SucceededAsync(ledger, "beta") == 1,
            "the job to succeed",
            () => $"dispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}");

        dispatcher.Output.ShouldContain("Joining the queues of share 1 now");
        (await ledger.ExecuteScalarAsync<long>("SELECT attempts FROM jobs WHERE job_id = @id", new { id = jobId.ToString() })).ShouldBe(1L);
        var calls = CallLog.Read(callLog).Where(c => c.JobId == jobId).ToList();
        calls.Count.ShouldBe(1, "the attempt that was never sent goes out once");
        calls[0].Attempt.ShouldBe(1);
    }

    [Fact]
    public async Task SecondDispatcherStartedLater_TheFirstHandsItsPreferredShareBackAndEachRoutesItsOwn()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, TwoGroups);
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Dispatcher__StandbyJoinDelay"] = "00:00:01";
        variables["DISPATCHER_Dispatcher__BalanceInterval"] = "00:00:01";

        // The first runs alone long enough to route both shares, as while the second was away.
        await using var first = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0");
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(first, QueueNames.Intake, QueueNames.Lane(0) + ".s0", QueueNames.Lane(0) + ".s1");
        await RunAsync(env, variables, "alone", first);
        (await OwnedSharesAsync(first)).ShouldBe([0, 1], first.Output);

        await using var second = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=1");
        await WaitForAsync(
            () => Task.FromResult(first.Output.Contains("Handing share 1 (epoch 1) back to the dispatcher that prefers it", StringComparison.Ordinal)),
            "share 1 handed back",
            () => $"first:\n{first.Output}\nsecond:\n{second.Output}",
            TimeSpan.FromSeconds(30));
        await RunAsync(env, variables, "together", first);

        second.Output.ShouldContain("Took over share 1 (epoch 2): model groups beta");
        (await OwnedSharesAsync(first)).ShouldBe([0], first.Output);
        (await OwnedSharesAsync(second)).ShouldBe([1], second.Output);
        await using var ledger = new NpgsqlConnection(connectionString);
        var owners = (await ledger.QueryAsync<(long Share, long Epoch, string Owner, string? WantedBy)>(
            "SELECT share, epoch, owner, wanted_by FROM dispatch_shares ORDER BY share")).ToList();
        owners.Select(o => (o.Share, o.Epoch, o.WantedBy)).ShouldBe([(0L, 1L, (string?)null), (1L, 2L, (string?)null)]);
        owners[0].Owner.ShouldContain($":{first.Id}:");
        owners[1].Owner.ShouldContain($":{second.Id}:");
        (await SucceededAsync(ledger, "beta")).ShouldBe(20);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state <> 'succeeded'")).ShouldBe(0);
    }

    [Fact]
    public async Task Dispatcher_ShareTakenFromItMeanwhile_ClaimsNothingUnderTheOldEpochAndTakesTheShareAgainAsItsOnlyConsumer()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, TwoGroups);
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Lane(0) + ".s0", QueueNames.Lane(0) + ".s1");
        await RunAsync(env, variables, "before", dispatcher);
        await using var ledger = new NpgsqlConnection(connectionString);

        // Another process takes share 1 over, as if this one had been paused meanwhile.
        await ledger.ExecuteAsync("UPDATE dispatch_shares SET epoch = epoch + 1, owner = 'another' WHERE share = 1");
        await RunAsync(env, variables, "after", dispatcher);

        dispatcher.Output.ShouldContain("Share 1 (epoch 1) was taken over by another dispatcher; leaving its queues");
        var owners = (await ledger.QueryAsync<(long Share, long Epoch, string Owner)>("SELECT share, epoch, owner FROM dispatch_shares ORDER BY share")).ToList();
        owners.Select(o => (o.Share, o.Epoch)).ShouldBe([(0L, 1L), (1L, 3L)], "the refused claim left the share, and joined again it was taken over anew");
        owners[1].Owner.ShouldBe(owners[0].Owner);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state <> 'succeeded'")).ShouldBe(0);
    }

    [Fact]
    public async Task Dispatcher_ShareTakenFromItMeanwhile_EndsNoJobByItsOwnRoutingUnderTheOldEpoch()
    {
        // Group beta's only deployment has a spend cap no job fits under: routing ends its jobs as
        // over budget, an ending it decides from the share's state, which a process that lost the
        // share no longer holds.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new object[]
            {
                PipelineEnvironment.Simulated("alpha-1", "alpha"),
                new
                {
                    Id = "beta-1",
                    ModelGroup = "beta",
                    Provider = "Simulated",
                    MaxParallel = 8,
                    InputPricePerMillion = 1.0,
                    OutputPricePerMillion = 2.0,
                    Budget = new { Limit = 0.000001 },
                    Simulation = new { LatencyMs = 2 },
                },
            },
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Lane(0) + ".s0", QueueNames.Lane(0) + ".s1");
        async Task<string> SubmitAsync(string batchId)
        {
            var outDir = Path.Combine(env.Folder, "out-" + batchId);
            await using var submitter = ProgramProcess.Start(
                "Submitter", variables, "submit", WriteBatch(env.Folder, 20, batchId + ".jsonl"), "--wait", "--batch-id", batchId, "--out", outDir, "--timeout", "00:01:30");
            await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2));
            return outDir;
        }

        // The first batch has the process take both shares over (epoch 1).
        await SubmitAsync("before");
        await using var ledger = new NpgsqlConnection(connectionString);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dispatch_shares WHERE epoch = 1")).ShouldBe(2, dispatcher.Output);

        // Another process takes share 1 over, as if this one had been paused meanwhile.
        await ledger.ExecuteAsync("UPDATE dispatch_shares SET epoch = epoch + 1, owner = 'another' WHERE share = 1");
        var outDir = await SubmitAsync("capped");

        dispatcher.Output.ShouldContain("Share 1 (epoch 1) was taken over by another dispatcher; leaving its queues", customMessage: "the fenced ending was refused");
        var owners = (await ledger.QueryAsync<(long Share, long Epoch)>("SELECT share, epoch FROM dispatch_shares ORDER BY share")).ToList();
        owners.ShouldBe([(0L, 1L), (1L, 3L)], "the process left share 1 and, joined again, took it over anew before ending its jobs");
        var ended = (await ledger.QueryAsync<(string ModelGroup, string State, string? ErrorKind, long Jobs)>(
            "SELECT model_group, state, error_kind, COUNT(*) FROM jobs WHERE batch_id = 'capped' GROUP BY model_group, state, error_kind ORDER BY model_group")).ToList();
        ended.ShouldBe([("alpha", JobState.Succeeded, null, 10L), ("beta", JobState.Failed, nameof(ErrorKind.BudgetExhausted), 10L)], dispatcher.Output);
        File.ReadAllLines(Path.Combine(outDir, "capped-errors.jsonl")).Length.ShouldBe(10);
    }

    [Fact]
    public async Task Cancel_BatchSpanningBothShares_EndsTheJobsOfEveryShareOnce()
    {
        // About four jobs a second in each group, so the batch is well under way in both shares when the cancel lands.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:01",
            Deployments = new[] { Slow("alpha-1", "alpha"), Slow("beta-1", "beta") },
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        await using var processes = await StartTwoAsync(env, variables);
        var (first, second) = (processes.First, processes.Second);
        var outDir = Path.Combine(env.Folder, "out");
        await using var ledger = new NpgsqlConnection(connectionString);
        await using var submitter = await SubmitUntilUnderwayAsync(env, variables, processes, ledger, "cancelled", 80, underway: 3, outDir);

        await using var cancel = ProgramProcess.Start("Submitter", variables, "cancel", "cancelled");
        var cancelExit = await cancel.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));

        cancelExit.ShouldBe(0, $"cancel:\n{cancel.Output}\n{Outputs(submitter, first, second)}");
        exit.ShouldBe(4, "a cancelled batch exits 4\n" + Outputs(submitter, first, second));
        var output = File.ReadAllLines(Path.Combine(outDir, "cancelled-output.jsonl"));
        var errors = File.ReadAllLines(Path.Combine(outDir, "cancelled-errors.jsonl"));
        output.Concat(errors).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(80);
        (output.Length + errors.Length).ShouldBe(80);
        var ended = (await ledger.QueryAsync<(string Group, string State, string? Kind)>(
            "SELECT model_group, state, error_kind FROM jobs WHERE batch_id = 'cancelled'")).ToList();
        ended.ShouldAllBe(j => j.State == "succeeded" || (j.State == "failed" && j.Kind == "BatchCancelled"));
        string.Join(", ", ended.Where(j => j.Kind == "BatchCancelled").Select(j => j.Group).Distinct().Order(StringComparer.Ordinal))
            .ShouldBe("alpha, beta", "the cancel ended jobs of both shares");
        (await ledger.ExecuteScalarAsync<string>("SELECT control FROM batches WHERE batch_id = 'cancelled'")).ShouldBe("cancelled");
    }

    [Fact]
    public async Task TwoDispatchers_TenantCapSpanningBothShares_NeverCrossedByTheirSpendTogether()
    {
        // Every job costs about $0.03 (26 tokens at $1,000 a million); the tenant's $0.60 a day
        // holds about twenty. Each dispatcher alone would let the tenant spend the whole cap in its
        // share, twice the cap together, if the cap were not held in the ledger they share.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:01",
            Deployments = new[] { Pricey("alpha-1", "alpha"), Pricey("beta-1", "beta") },
            Tenants = new[] { new { Name = "acme", Budget = new { Limit = 0.6, Period = "Day" } } },
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        await using var processes = await StartTwoAsync(env, variables);
        var (first, second) = (processes.First, processes.Second);
        var outDir = Path.Combine(env.Folder, "out");

        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", WriteBatch(env.Folder, 100, "capped.jsonl"), "--tenant", "acme", "--wait", "--batch-id", "capped", "--out", outDir, "--timeout", "00:03:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(4, "jobs over the cap end failed\n" + Outputs(submitter, first, second));
        await using var ledger = new NpgsqlConnection(connectionString);
        var ended = (await ledger.QueryAsync<(string Group, string State, string? Kind, string? Cost)>(
            "SELECT model_group, state, error_kind, cost_exact FROM jobs WHERE batch_id = 'capped'")).ToList();
        ended.Count.ShouldBe(100);
        ended.ShouldAllBe(j => j.State == "succeeded" || j.Kind == "BudgetExhausted");
        var spent = ended.Where(j => j.State == "succeeded").Sum(j => decimal.Parse(j.Cost!, System.Globalization.CultureInfo.InvariantCulture));
        spent.ShouldBeLessThanOrEqualTo(0.6m, "the two dispatchers together never crossed the tenant's cap");
        spent.ShouldBeGreaterThan(0.4m, "the cap was spent, not refused early");
        string.Join(", ", ended.Where(j => j.State == "succeeded").Select(j => j.Group).Distinct().Order(StringComparer.Ordinal))
            .ShouldBe("alpha, beta", "both shares spent against the one cap");
    }

    [Fact]
    public async Task ThreeNodeClusterTwoDispatchersTwoWorkers_IntakeLeaderNodeStoppedThenADispatcherKilled_EveryCustomIdEndsOnce()
    {
        await using var node1 = await PrivateRabbitNode.StartAsync();
        await using var node2 = await PrivateRabbitNode.StartClusteredAsync(node1);
        await using var node3 = await PrivateRabbitNode.StartClusteredAsync(node1);
        PrivateRabbitNode[] nodes = [node1, node2, node3];
        // Two calls at a time of 100 ms on each of four deployments: the batch takes several
        // seconds, long enough to lose a node and then a dispatcher in the middle of it.
        using var env = await PipelineEnvironment.CreateAsync(node1, new
        {
            Deployments = new[] { ("alpha-1", "alpha"), ("alpha-2", "alpha"), ("beta-1", "beta"), ("beta-2", "beta") }
                .Select(d => new
                {
                    Id = d.Item1,
                    ModelGroup = d.Item2,
                    Provider = "Simulated",
                    MaxParallel = 2,
                    TimeoutSeconds = 5,
                    Simulation = new { LatencyMs = 100, LatencySigma = 0.2 },
                })
                .ToArray(),
        });
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("ledger");
        var variables = TwoShares(env, connectionString);
        variables["DISPATCHER_Transport__RabbitMq__QueueType"] = "quorum";
        // A work pack or outcome lost with the node (sent, not yet confirmed, when it stopped) leaves
        // its job to the reconciler: within seconds here, rather than the minutes of the defaults.
        variables["DISPATCHER_Reconciler__QueueAllowance"] = "00:00:15";
        variables["DISPATCHER_Reconciler__ReportGrace"] = "00:00:05";
        variables["DISPATCHER_Reconciler__Interval"] = "00:00:05";
        for (var i = 0; i < nodes.Length; i++)
        {
            variables[$"DISPATCHER_Transport__RabbitMq__Hosts__{i}"] = $"127.0.0.1:{nodes[i].AmqpPort}";
        }

        await using var first = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0");
        await using var second = ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=1");
        await using var workers1 = ProgramProcess.Start("Workers.Host", variables);
        await using var workers2 = ProgramProcess.Start("Workers.Host", variables);
        // A quorum queue's declare-ok counts only its active consumer: each process says when it
        // has joined a share's queues instead.
        await WaitForAsync(
            () => Task.FromResult(new[] { first, second }.All(d => d.Output.Contains("Subscribed to the queues of share 0") && d.Output.Contains("Subscribed to the queues of share 1"))),
            "both dispatchers on both shares' queues",
            () => $"first:\n{first.Output}\nsecond:\n{second.Output}");
        var leader = await env.QueueLeaderAsync(QueueNames.Intake);
        var outDir = Path.Combine(env.Folder, "out");
        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", WriteBatch(env.Folder, 400, "cluster.jsonl"), "--wait", "--batch-id", "cluster", "--out", outDir, "--timeout", "00:04:00");
        await using var ledger = new NpgsqlConnection(connectionString);
        await WaitForAsync(
            async () => await SucceededAsync(ledger, "alpha") >= 20 && await SucceededAsync(ledger, "beta") >= 20,
            "both groups under way",
            () => Outputs(submitter, first, second));

        await nodes.Single(n => n.NodeName == leader).StopAppAsync();
        await WaitForAsync(
            async () => await SucceededAsync(ledger, "alpha") >= 60 && await SucceededAsync(ledger, "beta") >= 60,
            "both groups going on without the node",
            () => Outputs(submitter, first, second),
            TimeSpan.FromSeconds(90));
        second.Kill(); // as kill -9 would
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, Outputs(submitter, first, second));
        var customIds = File.ReadAllLines(Path.Combine(outDir, "cluster-output.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString())
            .ToList();
        customIds.Count.ShouldBe(400);
        customIds.Distinct().Count().ShouldBe(400);
        (await SucceededAsync(ledger, "alpha") + await SucceededAsync(ledger, "beta")).ShouldBe(400L);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'cluster' AND result_published = 0"))
            .ShouldBe(0L, "every job's result went out");
    }

    private static object Pricey(string id, string group) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        // A job is held against the cap when it is sent: five a second per share, so the cap
        // lasts about two seconds, time enough for the other share's jobs, handed on from
        // whichever dispatcher took the chunk off the intake, to reach their dispatcher and be
        // held against it too.
        MaxParallel = 4,
        Rpm = 5,
        BurstFraction = 0.5,
        InputPricePerMillion = 1000.0,
        OutputPricePerMillion = 1000.0,
        Simulation = new { LatencyMs = 20, LatencySigma = 0.0, MinCompletionTokens = 16, MaxCompletionTokens = 16, Seed = 1 },
    };

    // Two shares of the model groups on the PostgreSQL ledger at connectionString.
    // Every custom id of the batch has one result and none failed, and no provider refused a call:
    // no quota was counted by two dispatchers, nor anything sent under a share its sender had lost.
    private static async Task ShouldHaveEndedEveryJobOnceWithinTheLimitsAsync(NpgsqlConnection ledger, string outDir, string batchId)
    {
        var customIds = File.ReadAllLines(Path.Combine(outDir, batchId + "-output.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        customIds.Count.ShouldBe(Jobs);
        customIds.Distinct().Count().ShouldBe(Jobs);
        File.ReadAllLines(Path.Combine(outDir, batchId + "-errors.jsonl")).ShouldBeEmpty();
        var refusals = (await ledger.QueryAsync<string>(
            "SELECT deployment_id || ' at ' || recorded_at || ': ' || COALESCE(message, '') FROM attempts WHERE error_kind = 'RateLimited'")).ToList();
        refusals.ShouldBeEmpty("no provider window went over its limit");
    }

    private static Dictionary<string, string> TwoShares(PipelineEnvironment env, string connectionString) => new(env.Variables)
    {
        ["DISPATCHER_Ledger__Provider"] = nameof(LedgerProvider.Postgres),
        ["DISPATCHER_Ledger__ConnectionString"] = connectionString,
        ["DISPATCHER_Dispatcher__Shares"] = "2",
    };

    private static object Slow(string id, string group) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = 4,
        BurstFraction = 0.5,
        InputPricePerMillion = 1.0,
        OutputPricePerMillion = 2.0,
        Simulation = new { LatencyMs = 300, LatencySigma = 0.0, Seed = 1 },
    };

    private static async Task RunAsync(PipelineEnvironment env, IReadOnlyDictionary<string, string> variables, string batchId, ProgramProcess dispatcher)
    {
        var outDir = Path.Combine(env.Folder, "out-" + batchId);
        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", WriteBatch(env.Folder, 20, batchId + ".jsonl"), "--wait", "--batch-id", batchId, "--out", outDir, "--timeout", "00:01:30");

        (await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2))).ShouldBe(0, $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        var customIds = File.ReadAllLines(Path.Combine(outDir, batchId + "-output.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        customIds.Count.ShouldBe(20);
        customIds.Distinct().Count().ShouldBe(20);
    }

    // Alternating groups, so each dispatcher's intake chunks hold jobs of both shares.
    private static string WriteBatch(string folder, int jobs, string name)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, Enumerable.Range(1, jobs).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = i % 2 == 0 ? "alpha" : "beta", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        return path;
    }

    // Two dispatchers, one preferring each share, and a workers process, once each share's queues
    // have both dispatchers as consumers.
    private static async Task<TwoDispatchers> StartTwoAsync(PipelineEnvironment env, IReadOnlyDictionary<string, string> variables)
    {
        var processes = new TwoDispatchers(
            ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=0"),
            ProgramProcess.Start("Dispatcher.Host", variables, "--Dispatcher:PreferredShares:0=1"),
            ProgramProcess.Start("Workers.Host", variables));
        try
        {
            await WaitForStandbysAsync(env, processes.First, processes.Second);
            return processes;
        }
        catch
        {
            await processes.DisposeAsync();
            throw;
        }
    }

    // Submits a batch of `jobs` alternating between the groups, waiting for it (the submitter is
    // returned running), and waits until each group has `underway` jobs succeeded.
    private static async Task<ProgramProcess> SubmitUntilUnderwayAsync(
        PipelineEnvironment env, IReadOnlyDictionary<string, string> variables, TwoDispatchers processes, NpgsqlConnection ledger, string batchId, int jobs, int underway, string outDir)
    {
        var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", WriteBatch(env.Folder, jobs, batchId + ".jsonl"), "--wait", "--batch-id", batchId, "--out", outDir, "--timeout", "00:03:00");
        try
        {
            await WaitForAsync(
                async () => await SucceededAsync(ledger, "alpha") >= underway && await SucceededAsync(ledger, "beta") >= underway,
                "both groups under way",
                () => Outputs(submitter, processes.First, processes.Second));
            return submitter;
        }
        catch
        {
            await submitter.DisposeAsync();
            throw;
        }
    }

    // Each share's queues have both dispatchers as consumers: the preferred one active, the other waiting.
    private static async Task WaitForStandbysAsync(PipelineEnvironment env, ProgramProcess first, ProgramProcess second)
    {
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        string[] queues = [QueueNames.Outcomes + ".s0", QueueNames.Outcomes + ".s1", QueueNames.Lane(0) + ".s0", QueueNames.Lane(0) + ".s1", QueueNames.Intake];
        await WaitForAsync(
            async () =>
            {
                foreach (var queue in queues)
                {
                    await using var probe = await connection.CreateChannelAsync();
                    try
                    {
                        if ((await probe.QueueDeclarePassiveAsync(queue)).ConsumerCount < 2)
                        {
                            return false;
                        }
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                    {
                        return false;
                    }
                }

                return true;
            },
            "two consumers on each share's queues",
            () => $"first:\n{first.Output}\nsecond:\n{second.Output}");
    }

    private static async Task<IReadOnlyList<int>> OwnedSharesAsync(ProgramProcess dispatcher)
    {
        using var http = new HttpClient { BaseAddress = await dispatcher.ListeningUrlAsync(), Timeout = TimeSpan.FromSeconds(10) };
        // The status is a snapshot taken every two seconds: one taken after the latest take-over.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int[] owned = [];
        while (DateTime.UtcNow < deadline)
        {
            using var status = JsonDocument.Parse(await http.GetStringAsync("api/status"));
            owned = status.RootElement.GetProperty("ownedShares").EnumerateArray().Select(s => s.GetInt32()).ToArray();
            if (owned.Length > 0 && DateTimeOffset.Parse(status.RootElement.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddSeconds(-1))
            {
                break;
            }

            await Task.Delay(500);
        }

        return owned;
    }

    private sealed record TwoDispatchers(ProgramProcess First, ProgramProcess Second, ProgramProcess Workers) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await First.DisposeAsync();
            await Second.DisposeAsync();
            await Workers.DisposeAsync();
        }
    }

    private static async Task<string> MetricsAsync(ProgramProcess dispatcher)
    {
        using var http = new HttpClient { BaseAddress = await dispatcher.ListeningUrlAsync(), Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync("metrics");
    }

    private static Task<long> SucceededAsync(NpgsqlConnection ledger, string group) =>
        ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE model_group = @group AND state = 'succeeded'", new { group });

    private static Task<long> SucceededSinceAsync(NpgsqlConnection ledger, string group, DateTimeOffset since) =>
        ledger.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM jobs WHERE model_group = @group AND state = 'succeeded' AND completed_at > @since",
            new { group, since = since.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, Func<string> outputs, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (PostgresException)
            {
                // The schema is not there yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"no {what} within the time allowed; output:\n{outputs()}");
    }

    private static string Outputs(ProgramProcess submitter, ProgramProcess first, ProgramProcess second) =>
        $"submitter:\n{submitter.Output}\nfirst dispatcher:\n{first.Output}\nsecond dispatcher:\n{second.Output}";
}
