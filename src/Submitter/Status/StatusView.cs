using System.Globalization;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Submitter.Queues;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dispatcher.Submitter.Status;

/// <summary>
/// The <c>status</c> and <c>watch</c> table set: queues, deployments (with a line for each one a
/// provider has paused), budgets, batches and the jobs of no batch.
/// </summary>
internal static class StatusView
{
    public static IRenderable Create(StatusReport report, string? batchId)
    {
        ArgumentNullException.ThrowIfNull(report);
        var status = report.Status;
        var parts = new List<IRenderable>
        {
            new Markup($"[bold]status[/] at {status.At.ToLocalTime():HH:mm:ss} from {Markup.Escape(report.Origin)} · transport {Markup.Escape(status.Transport)}"),
            new Markup($"[bold]queues[/] [grey]({Markup.Escape(status.Queues.Source)})[/]"),
            QueueDepthTable.Create(status.Queues.Items),
            new Markup("[bold]deployments[/]"),
            Deployments(status),
        };
        // Under the table, one line per deployment whose breaker says why, one per deployment outside
        // its availability windows, and one per deployment a provider has paused: what jobs wait for.
        foreach (var d in status.Deployments)
        {
            if (!string.IsNullOrEmpty(d.Breaker.Reason) && d.Breaker.State != "closed")
            {
                parts.Add(new Markup(Markup.Escape($"{d.Id} ({d.ModelGroup}) breaker {d.Breaker.State}: {d.Breaker.Reason}")));
            }

            // Anthropic's input and output limits do not fit the table's one tokens column.
            if (d.Quota is { InputTokens: var input, OutputTokens: var output } && (input is not null || output is not null))
            {
                parts.Add(new Markup(Markup.Escape($"{d.Id} tokens free now / limit: {Split("input", input)}{(input is null || output is null ? "" : " · ")}{Split("output", output)}")));
            }

            if (d.RoutingWeight is { } weight)
            {
                parts.Add(new Markup(Markup.Escape($"{d.Id} ({d.ModelGroup}) routing weight {weight.ToString("0.##", CultureInfo.InvariantCulture)}")));
            }

            if (d.Closed is { } closed)
            {
                parts.Add(new Markup("[yellow]" + Markup.Escape($"{d.Id} ({d.ModelGroup}) {closed}") + "[/]"));
            }

            if (d.Pause is { } pause)
            {
                parts.Add(new Markup("[yellow]" + Markup.Escape(PauseText.Describe(d.Id, pause.Until, pause.Reason, pause.WaitingJobs, TimeZoneInfo.Local, pause.SecondsLeft)) + "[/]"));
            }
        }

        if (status.Budgets.Count > 0)
        {
            parts.Add(new Markup("[bold]budgets[/]"));
            parts.Add(Budgets(status));
        }

        if (status.Tenants is { Count: > 0 } tenants)
        {
            parts.Add(new Markup("[bold]tenants[/]"));
            parts.Add(Tenants(tenants));
        }

        parts.Add(new Markup("[bold]batches[/]"));
        parts.Add(Batches(status, batchId));
        var b = status.Batches;
        var eta = b.EtaSeconds is { } e ? Seconds(e) : "-";
        parts.Add(new Markup(string.Create(
            CultureInfo.InvariantCulture,
            $"running {b.Running} · done {b.Succeeded + b.Failed:N0} of {b.Total:N0} · throughput {b.ThroughputPerSecond:0.0} jobs/s · ETA {eta} · waiting for quota {status.WaitingForQuota}")));
        if (batchId is null && status.LooseJobs is { } loose && loose.Queued + loose.Dispatched + loose.Succeeded + loose.Failed > 0)
        {
            // Jobs of no batch: a count of their own, never a batch that waits for its size.
            parts.Add(new Markup(string.Create(
                CultureInfo.InvariantCulture,
                $"jobs without a batch · queued {loose.Queued:N0} · in flight {loose.Dispatched:N0} · succeeded {loose.Succeeded:N0} · failed {loose.Failed:N0}")));
        }

        return new Rows(parts);
    }

    // Narrow enough for an 80-column terminal: the group, a breaker's reason and a pause go on a
    // line of their own under the table, where they need not be cut to a column's width.
    private static Table Deployments(DispatcherStatus status)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("deployment")
            .AddColumn(new TableColumn("requests").RightAligned())
            .AddColumn(new TableColumn("tokens").RightAligned())
            .AddColumn(new TableColumn("busy").RightAligned())
            .AddColumn("breaker")
            .AddColumn(new TableColumn("ok/failed").RightAligned());
        foreach (var d in status.Deployments)
        {
            var q = d.Quota;
            table.AddRow(
                new Text(d.Id),
                new Text(q?.RequestsLimit is { } requests ? Invariant($"{q.RequestsAvailable:N0}/{requests:N0}") : "-"),
                new Text(q?.TokensLimit is { } tokens ? $"{Compact(q.TokensAvailable)}/{Compact(tokens)}" : q is { InputTokens: not null } or { OutputTokens: not null } ? "in/out" : "-"),
                new Text(q is null ? "-" : q.MaxConcurrent is { } most ? Invariant($"{q.InFlight}/{most}") : Invariant($"{q.InFlight}")),
                Breaker(d.Breaker),
                new Text(Invariant($"{d.Succeeded:N0}/{d.Failed:N0}")));
        }

        if (status.Deployments.Count == 0)
        {
            table.Caption("no deployments in the catalog");
        }
        else
        {
            table.Caption("requests and tokens: free now / limit per window; busy: in flight (/ most at once)");
        }

        return table;
    }

    private static string Split(string name, Dispatcher.Quotas.QuotaDimensionUsage? usage) =>
        usage is null ? "" : $"{name} {Compact(usage.Available)}/{Compact(usage.Limit)}";

    // 91k, 2.0M: token counts in a column a few characters wide.
    private static string Compact(double tokens) => tokens switch
    {
        >= 9_950_000 => Invariant($"{tokens / 1_000_000:0}M"),
        >= 1_000_000 => Invariant($"{tokens / 1_000_000:0.0}M"),
        >= 10_000 => Invariant($"{tokens / 1_000:0}k"),
        _ => Invariant($"{tokens:0}"),
    };

    private static Markup Breaker(BreakerStatus breaker)
    {
        var color = breaker.State switch { "open" => "red", "half-open" => "yellow", _ => "green" };
        return new Markup($"[{color}]{Markup.Escape(breaker.State)}[/]");
    }

    private static Table Budgets(DispatcherStatus status)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("cap").AddColumn("period")
            .AddColumn(new TableColumn("spent").RightAligned()).AddColumn(new TableColumn("reserved").RightAligned()).AddColumn(new TableColumn("limit").RightAligned());
        foreach (var b in status.Budgets)
        {
            table.AddRow(new Text(b.Key), new Text(b.Period), new Text(Invariant($"{b.Spent:F4}")), new Text(Invariant($"{b.Reserved:F4}")), new Text(Invariant($"{b.Limit:F2}")));
        }

        return table;
    }

    // Each tenant's share of the tokens sent in the last minute beside the share its weight gives
    // it among the tenants active then, its jobs waiting in the dispatcher and how long they waited.
    private static Table Tenants(IReadOnlyList<Dispatcher.Fairness.TenantShare> tenants)
    {
        var weights = tenants.Sum(t => t.Weight);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("tenant")
            .AddColumn(new TableColumn("weight").RightAligned())
            .AddColumn(new TableColumn("share").RightAligned())
            .AddColumn(new TableColumn("fair").RightAligned())
            .AddColumn(new TableColumn("tokens").RightAligned())
            .AddColumn(new TableColumn("waiting").RightAligned())
            .AddColumn(new TableColumn("wait").RightAligned());
        foreach (var t in tenants)
        {
            table.AddRow(
                new Text(t.Tenant.Length == 0 ? "(none)" : t.Tenant),
                new Text(Invariant($"{t.Weight:0.##}")),
                new Text(Invariant($"{t.Share:P0}")),
                new Text(Invariant($"{(weights > 0 ? t.Weight / weights : 0):P0}")),
                new Text(Compact(t.Tokens)),
                new Text(Invariant($"{t.Waiting:N0}")),
                new Text(Invariant($"{t.MeanWaitSeconds:0.0} s")));
        }

        table.Caption("last minute: share of tokens sent, and mean wait");
        return table;
    }

    // Two lines a batch rather than a table of ten columns: the ids alone are 38 characters, and
    // a table that wide would wrap every cell on an 80-column terminal.
    private static Rows Batches(DispatcherStatus status, string? batchId)
    {
        var rows = status.Batches.Recent.Where(b => batchId is null || b.Id == batchId).ToList();
        if (rows.Count == 0)
        {
            return new Rows(new Markup("[grey]" + (batchId is null ? "no batches yet" : $"batch {Markup.Escape(batchId)} not found") + "[/]"));
        }

        var lines = new List<IRenderable>();
        foreach (var b in rows)
        {
            lines.Add(new Markup($"{Markup.Escape(b.Id)}  {State(b)}  [grey]{Markup.Escape(b.Source ?? "")}[/]"));
            var total = b.Total is { } t ? Invariant($"{t:N0}") : "?";
            var eta = b.EtaSeconds is { } e ? Seconds(e) : "-";
            lines.Add(new Markup(Markup.Escape(Invariant(
                $"  {b.Succeeded + b.Failed:N0} of {total} ended ({b.Succeeded:N0} ok, {b.Failed:N0} failed) · ETA {eta} · {b.Dispatched:N0} in flight · {b.Queued:N0} queued") +
                (b.NotYetReceived > 0 ? Invariant($" · {b.NotYetReceived:N0} not yet received") : "") +
                Invariant($" · cost {b.Cost:F6}"))));
            if (b.Reason is { Length: > 0 } reason)
            {
                lines.Add(new Markup(Markup.Escape($"  {b.State}: {reason}")));
            }

            if (b.Metadata is { Count: > 0 } metadata)
            {
                lines.Add(new Markup("[grey]" + Markup.Escape("  metadata " + string.Join(" · ", metadata.Select(p => $"{p.Key}={p.Value}"))) + "[/]"));
            }
        }

        return new Rows(lines);
    }

    // The Batch API's name for the batch's state, coloured by what it means for the jobs.
    private static string State(BatchProgress b)
    {
        var color = b.State switch
        {
            BatchState.Completed => "green",
            BatchState.Paused or BatchState.Cancelling or BatchState.Validating => "yellow",
            BatchState.Cancelled or BatchState.Expired or BatchState.Failed => "red",
            _ => null,
        };
        var text = Markup.Escape(b.State);
        return color is null ? text : $"[{color}]{text}[/]";
    }

    private static string Seconds(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
