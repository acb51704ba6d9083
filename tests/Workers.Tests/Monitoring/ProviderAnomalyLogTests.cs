using Dispatcher.Tests.Support;
using Dispatcher.Workers.Monitoring;
using Dispatcher.Workers.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Monitoring;

public sealed class ProviderAnomalyLogTests : IDisposable
{
    private static readonly ProviderAnomaly Reset = ProviderAnomaly.Of(ProviderAnomaly.Reset, "x-ratelimit-reset-tokens", "99999999999999999", "is longer than a day; read as one day");
    private static readonly ProviderAnomaly Usage = ProviderAnomaly.Of(ProviderAnomaly.Usage, "usage.prompt_tokens", "1e300", "is no token count; read as 2147483647");

    private readonly FakeTimeProvider _time = new();
    private readonly WorkerInstrumentation _instrumentation = new();
    private readonly MeasurementRecorder _metrics;
    private readonly WarningLog _log = new();
    private readonly ProviderAnomalyLog _anomalies;

    public ProviderAnomalyLogTests()
    {
        _metrics = new MeasurementRecorder(_instrumentation.Meter);
        _anomalies = new ProviderAnomalyLog(_instrumentation, _log, _time);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _instrumentation.Dispose();
    }

    [Fact]
    public void Report_Anomalies_CountsEachByDeploymentAndKind()
    {
        _anomalies.Report("d1", [Reset, Usage]);
        _anomalies.Report("d1", [Reset]);

        _metrics.Sum("worker.provider_anomalies", "deployment=d1", "kind=reset").ShouldBe(2);
        _metrics.Sum("worker.provider_anomalies", "deployment=d1", "kind=usage").ShouldBe(1);
    }

    [Fact]
    public void Report_ManyWithinAMinute_WarnsOncePerDeploymentNamingTheValues()
    {
        _anomalies.Report("d1", [Reset]);
        _time.Advance(TimeSpan.FromSeconds(59));
        _anomalies.Report("d1", [Usage]);
        _anomalies.Report("d2", [Usage]);

        _log.Warnings.Count.ShouldBe(2);
        _log.Warnings[0].ShouldContain("d1");
        _log.Warnings[0].ShouldContain("x-ratelimit-reset-tokens: '99999999999999999'");
        _log.Warnings[1].ShouldContain("d2");
    }

    [Fact]
    public void Report_AfterAMinute_WarnsAgain()
    {
        _anomalies.Report("d1", [Reset]);
        _time.Advance(TimeSpan.FromMinutes(1));

        _anomalies.Report("d1", [Reset]);

        _log.Warnings.Count.ShouldBe(2);
    }

    [Fact]
    public void Report_NoAnomalies_NeitherCountsNorWarns()
    {
        _anomalies.Report("d1", null);
        _anomalies.Report("d1", []);

        _metrics.Count("worker.provider_anomalies").ShouldBe(0);
        _log.Warnings.ShouldBeEmpty();
    }

    private sealed class WarningLog : ILogger<ProviderAnomalyLog>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
