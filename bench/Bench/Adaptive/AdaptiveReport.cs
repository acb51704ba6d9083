using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Adaptive;

/// <summary>Prints the adaptive-weights run as Markdown tables: per slice, then per phase with how long the shift took.</summary>
internal static class AdaptiveReport
{
    /// <summary>Writes the slice table, the phase summary and the slices it took to fall and to return.</summary>
    public static void Print(AdaptiveRunResult run, TextWriter output)
    {
        var s = run.Settings;
        const string steady = AdaptiveCatalog.Steady;
        const string degrading = AdaptiveCatalog.Degrading;
        output.WriteLine();
        output.WriteLine(
            $"Adaptive weights ({Figures.Count(run.Published)} jobs at {One(s.Rate)}/s on the embedded default; two simulated deployments, {One(s.LatencyMs)} ms median latency, " +
            $"weight 1 each; '{degrading}' {One(AdaptiveSettings.LatencyFactor)}x slower and failing {Figures.Percent(AdaptiveSettings.DegradedErrorRate * 100)} of its calls " +
            $"from {Figures.Seconds(run.DegradedFrom)} s to {Figures.Seconds(run.RecoveredFrom)} s; AdaptiveWindow {One(s.Window.TotalSeconds)} s; " +
            $"{Figures.Count(run.Succeeded)} succeeded, {Figures.Count(run.Failed)} failed; other work {Figures.Percent(run.OtherWorkPercent)} of a core):");
        output.WriteLine();
        var table = new MarkdownTable(
            "slice s", "phase", $"calls {steady}", $"calls {degrading}", $"{degrading} share of calls", $"{degrading} share of first attempts",
            $"weight {steady}", $"weight {degrading}");
        foreach (var slice in run.Slices)
        {
            table.Row(
                $"{Whole(slice.Start)}-{Whole(slice.Start + s.Slice)}", slice.Phase,
                Figures.Count(slice.Calls[steady]), Figures.Count(slice.Calls[degrading]),
                Percent(slice.CallShare(degrading)), Percent(slice.FirstAttemptShare(degrading)),
                Three(slice.Weights[steady]), Three(slice.Weights[degrading]));
        }

        output.Write(table);

        var before = Share(run.Slices.Where(x => x.Phase == AdaptiveSlice.Before));
        var degraded = run.Slices.Where(x => x.Phase == AdaptiveSlice.Degraded).ToList();
        var recovered = run.Slices.Where(x => x.Phase == AdaptiveSlice.Recovered).ToList();
        var fell = degraded.FindIndex(x => x.CallShare(degrading) < AdaptiveSettings.FallenBelow * before);
        var returned = recovered.FindIndex(x => x.CallShare(degrading) >= AdaptiveSettings.ReturnedFrom * before);
        var summary = new MarkdownTable("phase", "slices", $"{degrading} share of calls", $"{degrading} share of first attempts", $"mean weight {degrading}");
        PhaseRow(summary, "before", [.. run.Slices.Where(x => x.Phase == AdaptiveSlice.Before)]);
        PhaseRow(summary, "degraded", degraded);
        PhaseRow(summary, "degraded, once fallen", fell < 0 ? [] : degraded[fell..]);
        PhaseRow(summary, "recovered", recovered);
        PhaseRow(summary, "recovered, once returned", returned < 0 ? [] : recovered[returned..]);
        output.WriteLine();
        output.WriteLine($"Per phase (a slice belongs to the phase at its middle; shares are of all the phase's calls):");
        output.WriteLine();
        output.Write(summary);
        output.WriteLine();
        output.WriteLine(
            $"Fell (share of calls under {Figures.Percent(AdaptiveSettings.FallenBelow * 100)} of its share before, {Percent(AdaptiveSettings.FallenBelow * before)}): " +
            (fell < 0 ? "not within the degradation" : $"in degraded slice {fell + 1} ({Figures.Count((fell + 1) * (long)s.Slice.TotalSeconds)} s at most)") + "; " +
            $"returned (at least {Figures.Percent(AdaptiveSettings.ReturnedFrom * 100)} of it, {Percent(AdaptiveSettings.ReturnedFrom * before)}): " +
            (returned < 0 ? "not within the run" : $"in recovered slice {returned + 1} ({Figures.Count((returned + 1) * (long)s.Slice.TotalSeconds)} s at most)") + ".");
    }

    // A phase's slices; none (a shift that never came) prints dashes.
    private static void PhaseRow(MarkdownTable table, string phase, List<AdaptiveSlice> slices) =>
        table.Row(
            [phase, Figures.Count(slices.Count), .. slices.Count == 0
                ? new[] { "-", "-", "-" }
                : [Percent(Share(slices)), Percent(FirstShare(slices)), Three(MeanWeight(slices))]]);

    private static double Share(IEnumerable<AdaptiveSlice> slices) => Ratio(slices, x => x.Calls);

    private static double FirstShare(IEnumerable<AdaptiveSlice> slices) => Ratio(slices, x => x.FirstAttempts);

    private static double Ratio(IEnumerable<AdaptiveSlice> slices, Func<AdaptiveSlice, IReadOnlyDictionary<string, int>> counts)
    {
        var list = slices.ToList();
        var all = list.Sum(x => counts(x).Values.Sum());
        return all == 0 ? 0 : (double)list.Sum(x => counts(x)[AdaptiveCatalog.Degrading]) / all;
    }

    private static double MeanWeight(IEnumerable<AdaptiveSlice> slices)
    {
        var list = slices.ToList();
        return list.Count == 0 ? 0 : list.Average(x => x.Weights[AdaptiveCatalog.Degrading]);
    }

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Three(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string One(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Whole(TimeSpan time) => time.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
}
