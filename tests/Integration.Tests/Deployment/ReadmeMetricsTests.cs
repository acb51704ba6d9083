using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using Dispatcher.Workers.Monitoring;
using Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Deployment;

/// <summary>The README's table of metrics names exactly what the programs export.</summary>
public sealed partial class ReadmeMetricsTests
{
    [Fact]
    public async Task Readme_MetricsTable_NamesEveryInstrumentAsPrometheusShowsIt()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("m") } });
        var dispatcher = pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter;
        var worker = pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter;
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, dispatcher) || ReferenceEquals(instrument.Meter, worker))
                {
                    exported.Add(PrometheusName(instrument));
                }
            };
            listener.Start(); // publishes the instruments that already exist
        }

        var documented = Documented(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")));

        documented.Except(exported).Order(StringComparer.Ordinal).ShouldBeEmpty("in the README's metrics table but not exported under that name");
        exported.Except(documented).Order(StringComparer.Ordinal).ShouldBeEmpty("exported but missing from the README's metrics table");
    }

    // As /metrics names a family: counters end in _total, histograms and gauges keep the name.
    private static string PrometheusName(Instrument instrument)
    {
        var name = PrometheusNames.Metric(instrument.Name);
        var type = instrument.GetType().GetGenericTypeDefinition();
        return type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? name + "_total" : name;
    }

    // The first cell of each row of the Telemetry section's metrics table: `a` or `a` / `b` / `c`.
    private static HashSet<string> Documented(string readme)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match row in MetricRow().Matches(readme))
        {
            foreach (Match name in MetricName().Matches(row.Groups["names"].Value))
            {
                names.Add(name.Groups["name"].Value);
            }
        }

        return names;
    }

    [GeneratedRegex(@"^\| (?<names>`(?:dispatcher|worker)_[a-z_]+`(?: / `[a-z_]+`)*) \|", RegexOptions.Multiline)]
    private static partial Regex MetricRow();

    [GeneratedRegex(@"`(?<name>[a-z_]+)`")]
    private static partial Regex MetricName();
}
