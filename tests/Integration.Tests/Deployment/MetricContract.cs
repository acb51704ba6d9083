using System.Text.Json;
using System.Text.RegularExpressions;

namespace Integration.Tests.Deployment;

/// <summary>
/// The metric names the dispatcher and the workers export at /metrics, and the names the Grafana
/// dashboard queries: a panel may only query names in this list.
/// </summary>
internal static partial class MetricContract
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal)
    {
        "dispatcher_jobs_submitted_total",
        "dispatcher_jobs_routed_total",
        "dispatcher_jobs_succeeded_total",
        "dispatcher_jobs_failed_total",
        "dispatcher_jobs_retried_total",
        "dispatcher_jobs_fell_back_total",
        "dispatcher_jobs_dead_lettered_total",
        "dispatcher_tokens_total",
        "dispatcher_cost_total",
        "dispatcher_provider_latency_bucket",
        "dispatcher_provider_latency_sum",
        "dispatcher_provider_latency_count",
        "dispatcher_inflight",
        "dispatcher_quota_fill",
        "dispatcher_breaker_state",
        "dispatcher_budget_spent",
        "dispatcher_queue_depth",
        "dispatcher_jobs_waiting",
        "worker_calls_total",
        "worker_call_duration_bucket",
        "worker_call_duration_sum",
        "worker_call_duration_count",
        "worker_inflight",
    };

    /// <summary>Every metric name a query of the dashboard (panel targets and template variables) refers to.</summary>
    public static IReadOnlySet<string> QueriedBy(JsonDocument dashboard)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in Queries(dashboard))
        {
            foreach (Match m in MetricName().Matches(query))
            {
                names.Add(m.Value);
            }
        }

        return names;
    }

    /// <summary>The PromQL of every panel target (rows' nested panels included) and every query variable.</summary>
    public static IEnumerable<string> Queries(JsonDocument dashboard)
    {
        foreach (var panel in Panels(dashboard.RootElement))
        {
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray())
                {
                    yield return target.GetProperty("expr").GetString()!;
                }
            }
        }

        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                yield return variable.GetProperty("query").GetProperty("query").GetString()!;
            }
        }
    }

    public static IEnumerable<JsonElement> Panels(JsonElement container)
    {
        foreach (var panel in container.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out _))
            {
                foreach (var nested in Panels(panel))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>Series names in Prometheus text (samples and # TYPE lines).</summary>
    public static IReadOnlySet<string> Exported(string text)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                names.Add(parts[2]);
                if (parts.Length > 3 && parts[3] == "histogram")
                {
                    names.UnionWith([parts[2] + "_bucket", parts[2] + "_sum", parts[2] + "_count"]);
                }
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                names.Add(line[..line.IndexOfAny(['{', ' '])]);
            }
        }

        return names;
    }

    // dispatcher_* and worker_* identifiers; PromQL functions and labels never start with these.
    [GeneratedRegex(@"\b(?:dispatcher|worker)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
