using System.Diagnostics;

namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>
/// Starts a span in a job's trace from the <c>traceparent</c> its attempt or outcome carries.
/// Attempts and outcomes travel in packs, whose message belongs to no one job, so the
/// message's own trace context cannot say which job a span is for.
/// </summary>
public static class JobTrace
{
    /// <summary>
    /// Starts <paramref name="name"/> as a child of <paramref name="traceParent"/>; without one, or
    /// with one that does not parse, as a child of the current activity.
    /// </summary>
    public static Activity? Start(ActivitySource source, string name, ActivityKind kind, string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent)
            ? source.StartActivity(name, kind, parent)
            : source.StartActivity(name, kind);
}
