using System.Text;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>
/// Real HTTP providers that hang past the attempt timeout or answer garbage, beside a healthy
/// simulated deployment in the same group, with every program a separate process.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class ProviderFaultTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 24;
    private const string KeyVariable = "FAULTS_PROVIDER_KEY";

    [Fact]
    public async Task SubmitWait_HangingAndMalformedProviders_JobsEndOnHealthyDeploymentWithFailuresClassifiedAndNoKeyLeaked()
    {
        await using var server = await LoopbackProviderServer.StartAsync();
        var apiKey = "sk-fault-" + Guid.NewGuid().ToString("N");
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder => new
        {
            Deployments = new object[]
            {
                Http("hanging", new Uri(server.Address, "hang/v1"), priority: 0, timeoutSeconds: 1),
                // Long enough that a first call on a cold, loaded worker is never taken for a timeout.
                Http("malformed", new Uri(server.Address, "malformed/v1"), priority: 1, timeoutSeconds: 30),
                FaultCatalog.Simulated("healthy", Path.Combine(folder, "calls.jsonl"), latencyMs: 10, priority: 2),
            },
            // Priority order sends jobs to the broken deployments first (until the dispatcher's breaker
            // opens on them); each failure excludes that deployment for the job, so it ends on the healthy one.
            ModelGroups = new[] { FaultCatalog.ModelGroup("priority", maxAttempts: 5) },
        });
        var variables = new Dictionary<string, string>(env.Variables) { [KeyVariable] = apiKey };
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("hanging"), QueueNames.Provider("malformed"));
        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", batch, "--wait", "--batch-id", "faulty-batch", "--out", outDir, "--timeout", "00:04:00");

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        exit.ShouldBe(0, context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "faulty-batch", Jobs, context);
        await using (var ledger = BatchOutcome.Open(env.LedgerPath))
        {
            var ended = (await ledger.QueryAsync<(string, string)>("SELECT state, COALESCE(deployment_id, '') FROM jobs WHERE batch_id = 'faulty-batch'")).ToList();
            ended.ShouldAllBe(j => j.Item1 == "succeeded" && j.Item2 == "healthy");
            var kinds = (await ledger.QueryAsync<(string, string)>("SELECT deployment_id, error_kind FROM attempts")).ToList();
            kinds.Where(k => k.Item1 == "hanging").Select(k => k.Item2).Distinct().ShouldBe([nameof(ErrorKind.Timeout)]);
            kinds.Where(k => k.Item1 == "malformed").Select(k => k.Item2).Distinct().ShouldBe([nameof(ErrorKind.MalformedResponse)]);
            // The dispatcher's breaker opens on a broken deployment after a few failures, so later
            // jobs skip it instead of each paying for a failed call; no job tries one twice.
            var hanging = kinds.Count(k => k.Item1 == "hanging");
            var malformed = kinds.Count(k => k.Item1 == "malformed");
            hanging.ShouldBeInRange(1, Jobs, "jobs tried the hanging deployment, at most once each");
            malformed.ShouldBeInRange(1, Jobs, "jobs tried the malformed deployment, at most once each");
            (await ledger.QueryAsync<long>("SELECT COUNT(*) FROM attempts WHERE deployment_id <> 'healthy' GROUP BY job_id, deployment_id HAVING COUNT(*) > 1"))
                .ShouldBeEmpty("a job that failed on a deployment is not sent there again while another can take it");
        }

        server.Authorizations.ShouldContain($"Bearer {apiKey}", "the key was sent to the provider, so it could have leaked");
        foreach (var (what, text) in new[]
        {
            ("dispatcher output", dispatcher.Output),
            ("workers output", workers.Output),
            ("submitter output", submitter.Output),
            ("ledger", ReadAll(env.LedgerPath)),
            ("ledger journal", ReadAll(env.LedgerPath + "-wal")),
            ("results", ReadAll(Path.Combine(outDir, "faulty-batch-output.jsonl"))),
            ("errors", ReadAll(Path.Combine(outDir, "faulty-batch-errors.jsonl"))),
        })
        {
            text.ShouldNotContain(apiKey, Case.Sensitive, $"the API key leaked into the {what}");
        }
    }

    private static object Http(string id, Uri baseUrl, int priority, int timeoutSeconds) => new
    {
        Id = id,
        ModelGroup = FaultCatalog.Group,
        Provider = "OpenAI",
        Model = "loopback-model",
        BaseUrl = baseUrl,
        ApiKeyVariable = KeyVariable,
        MaxParallel = 8,
        Rpm = 1_000_000,
        Tpm = 1_000_000_000,
        Priority = priority,
        TimeoutSeconds = timeoutSeconds,
        // Every failure stays a real call, so each one is classified by what the provider did.
        Breaker = new { MinimumThroughput = 1_000_000 },
    };

    private static string ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return reader.ReadToEnd();
    }
}
