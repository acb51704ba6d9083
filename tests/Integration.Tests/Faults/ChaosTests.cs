using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Dispatcher.Testing;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>
/// The short version of the bench's <c>chaos</c> run: a batch through one Dispatcher and two
/// Workers processes against providers with 5xx and 429s, while a worker is killed, the
/// dispatcher is killed, the broker is restarted and a chunk of the file is published again,
/// each at a share of the batch ended (not at a time).
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class ChaosTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 2_000;
    private const string BatchId = "chaos-batch";
    private static readonly string[] Deployments = ["chaos-a", "chaos-b", "chaos-c"];

    [Fact]
    public async Task SubmitWait_KillsRestartAndRepublishMidBatch_EveryJobEndsOnceAndNothingStaysReserved()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                Deployments = Deployments.Select(id => new
                {
                    Id = id,
                    ModelGroup = FaultCatalog.Group,
                    Provider = "Simulated",
                    MaxParallel = 8,
                    Rpm = 1_000_000,
                    Tpm = 1_000_000_000,
                    InputPricePerMillion = 1.0,
                    OutputPricePerMillion = 2.0,
                    Simulation = new
                    {
                        LatencyMs = 40, LatencySigma = 0.3, ErrorRate = 0.01, RateLimitRate = 0.02, RetryAfterSeconds = 0.5,
                        CallLogPath = callLog,
                    },
                }).ToArray(),
                ModelGroups = new[]
                {
                    new
                    {
                        Name = FaultCatalog.Group, Strategy = "round-robin", MaxAttempts = 8,
                        Budget = new { Limit = 100.0, Period = "Total" },
                        Breaker = new { ConsecutiveFailures = 5, BreakDurationSeconds = 1, HalfOpenProbes = 2 },
                    },
                },
            };
        });
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        var programs = new List<ProgramProcess>();
        ProgramProcess Start(string project, params string[] args)
        {
            var program = ProgramProcess.Start(project, env.Variables, args);
            programs.Add(program);
            return program;
        }

        try
        {
            var dispatcher = Start("Dispatcher.Host");
            var workers = new[] { Start("Workers.Host"), Start("Workers.Host") };
            await env.WaitForConsumersAsync(dispatcher, [QueueNames.Intake, .. Deployments.Select(QueueNames.Provider)]);
            var submitter = Start("Submitter", "submit", batch, "--wait", "--batch-id", BatchId, "--out", outDir, "--timeout", "00:04:00");
            string Context() => string.Join("\n", programs.Select(p => $"pid {p.Id}:\n{Tail(p.Output)}"));

            await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs * 15 / 100, TimeSpan.FromMinutes(2), Context);
            workers[0].Kill();
            workers[0] = Start("Workers.Host");

            await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs * 35 / 100, TimeSpan.FromMinutes(2), Context);
            dispatcher.Kill();
            dispatcher = Start("Dispatcher.Host");

            await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs * 55 / 100, TimeSpan.FromMinutes(2), Context);
            using (var restart = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            {
                await rabbit.Node.RestartAsync(restart.Token);
            }

            await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs * 75 / 100, TimeSpan.FromMinutes(2), Context);
            // The same lines again: the first chunk as the same messages, the second as new submissions of the same custom ids.
            var republisher = new ChunkRepublisher(env.ConnectionFactory(), env.LedgerPath, BatchId, File.ReadAllLines(batch));
            (await republisher.RepublishAsync(first: 1, count: 100, sameJobIds: true, default)).ShouldBe(100);
            (await republisher.RepublishAsync(first: 1_401, count: 100, sameJobIds: false, default)).ShouldBe(100);

            var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

            exit.ShouldBe(0, Context());
            BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, BatchId, Jobs, Context());
            await using (var ledger = BatchOutcome.Open(env.LedgerPath))
            {
                (await ledger.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM jobs WHERE batch_id = '{BatchId}'")).ShouldBe(Jobs, "a republished line adds no job");
                (await ledger.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM jobs WHERE batch_id = '{BatchId}' AND state NOT IN ('succeeded', 'failed')"))
                    .ShouldBe(0, "every job ended");
            }

            using var http = new HttpClient { BaseAddress = await dispatcher.ListeningUrlAsync(), Timeout = TimeSpan.FromSeconds(10) };
            var held = "";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                using var status = JsonDocument.Parse(await http.GetStringAsync("api/status"));
                var deployments = status.RootElement.GetProperty("deployments").EnumerateArray().ToList();
                var inFlight = deployments.Sum(d => d.GetProperty("quota").GetProperty("inFlight").GetInt32());
                var probes = deployments.Sum(d => d.GetProperty("breaker").GetProperty("probes").GetInt32());
                var reserved = status.RootElement.GetProperty("budgets").EnumerateArray().Sum(b => b.GetProperty("reserved").GetDecimal());
                held = $"{inFlight} in flight, {reserved} spend reserved, {probes} probe slots";
                if ((inFlight == 0 && reserved == 0 && probes == 0) || DateTime.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(200);
            }

            held.ShouldBe("0 in flight, 0 spend reserved, 0 probe slots", Context());
            var calls = CallLog.Read(callLog);
            Console.WriteLine($"chaos: {calls.Count} provider calls, {calls.Count - calls.Select(c => (c.JobId, c.Attempt)).Distinct().Count()} repeated");
        }
        finally
        {
            foreach (var program in programs)
            {
                await program.DisposeAsync();
            }
        }
    }

    private static string Tail(string output) => output.Length <= 4_000 ? output : output[^4_000..];
}
