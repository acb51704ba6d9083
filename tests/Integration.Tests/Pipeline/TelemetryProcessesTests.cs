using System.Text;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Pipeline;

/// <summary>Metrics, health and OTLP export of the dispatcher and worker programs, run as separate processes.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class TelemetryProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Batch_SeparateProcesses_ServeMetricsAndHealthAndExportOtlp()
    {
        await using var collector = await LoopbackServer.StartAsync();
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("it-tel") } });
        var variables = new Dictionary<string, string>(env.Variables)
        {
            ["DISPATCHER_Telemetry__OtlpEndpoint"] = collector.Address.ToString(),
            ["DISPATCHER_Telemetry__MetricExportInterval"] = "00:00:01",
            ["DISPATCHER_Telemetry__TraceExportDelay"] = "00:00:00.200",
        };
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        var dispatcherUrl = await dispatcher.ListeningUrlAsync();
        var workersUrl = await workers.ListeningUrlAsync();
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("it-tel"));

        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", env.WriteBatch(30), "--wait", "--batch-id", "tel-batch", "--out", Path.Combine(env.Folder, "out"), "--timeout", "00:02:00");
        (await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3))).ShouldBe(0, submitter.Output);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var dispatcherMetrics = await ScrapeAsync(http, dispatcherUrl);
        dispatcherMetrics.ShouldContain("# TYPE dispatcher_jobs_routed_total counter");
        dispatcherMetrics.ShouldContain("dispatcher_jobs_submitted_total{model_group=\"gpt-test\"} 30\n");
        dispatcherMetrics.ShouldContain("dispatcher_jobs_succeeded_total{deployment=\"it-tel\",model_group=\"gpt-test\"} 30\n");
        dispatcherMetrics.ShouldMatch("dispatcher_jobs_routed_total\\{deployment=\"it-tel\",model_group=\"gpt-test\",strategy=\"[a-z-]+\"\\} 30\n");
        dispatcherMetrics.ShouldContain("dispatcher_tokens_total{deployment=\"it-tel\",direction=\"output\",model_group=\"gpt-test\"}");
        dispatcherMetrics.ShouldContain("dispatcher_cost_total{deployment=\"it-tel\",model_group=\"gpt-test\"}");
        dispatcherMetrics.ShouldContain("dispatcher_provider_latency_bucket{deployment=\"it-tel\",le=\"+Inf\"} 30\n");
        dispatcherMetrics.ShouldContain("dispatcher_provider_latency_count{deployment=\"it-tel\"} 30\n");
        dispatcherMetrics.ShouldContain("dispatcher_quota_fill{bucket=\"requests\",deployment=\"it-tel\"}");
        dispatcherMetrics.ShouldContain("dispatcher_inflight{deployment=\"it-tel\"} 0\n");
        dispatcherMetrics.ShouldContain("dispatcher_jobs_waiting 0\n");
        dispatcherMetrics.ShouldContain("messaging_masstransit_");
        var workerMetrics = await ScrapeAsync(http, workersUrl);
        workerMetrics.ShouldContain("worker_calls_total{deployment=\"it-tel\",outcome=\"None\"} 30\n");
        workerMetrics.ShouldContain("worker_call_duration_count{deployment=\"it-tel\"} 30\n");
        workerMetrics.ShouldContain("worker_inflight{deployment=\"it-tel\"} 0\n");
        workerMetrics.ShouldContain("messaging_masstransit_");
        foreach (var url in new[] { dispatcherUrl, workersUrl })
        {
            (await http.GetAsync(new Uri(url, "health/live"))).IsSuccessStatusCode.ShouldBeTrue();
            var ready = await http.GetAsync(new Uri(url, "health/ready"));
            ready.IsSuccessStatusCode.ShouldBeTrue(await ready.Content.ReadAsStringAsync());
        }

        // The submitter's send spans start each job's trace; each program reports as its own service.
        string[] spans = ["dispatcher.submit", "dispatcher.route", "routing.strategy", "worker.call", "MassTransit", "submitter", "workers"];
        string[] instruments = ["dispatcher.jobs.routed", "dispatcher.provider.latency", "worker.calls", "worker.call.duration"];
        await EventuallyAsync(
            () => spans.All(s => Contains(collector.BodiesOf("/v1/traces"), s)) && instruments.All(i => Contains(collector.BodiesOf("/v1/metrics"), i)),
            () => $"OTLP payloads with {string.Join(", ", spans.Concat(instruments))}; received {string.Join(", ", collector.Received.Select(r => r.Path))}");
        collector.Received.ShouldAllBe(r => r.Method == "POST" && r.Header("Content-Type") == "application/x-protobuf");
    }

    private static async Task<string> ScrapeAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(new Uri(url, "metrics"));
        response.IsSuccessStatusCode.ShouldBeTrue();
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/plain; version=0.0.4; charset=utf-8");
        return await response.Content.ReadAsStringAsync();
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private static async Task EventuallyAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what());
            }

            await Task.Delay(200);
        }
    }
}
