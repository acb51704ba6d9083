using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Simulated;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Tokens;

/// <summary>
/// Prompt-token estimates against reference counts, and what counting costs a job at intake.
/// The reference is the OpenAI API's reported prompt tokens where the OpenAI Cookbook publishes
/// them; for the other requests no API count is at hand on this machine, and the reference is
/// the cookbook's counting rule with the model's encoding (which these same tokenizers compute,
/// so the new estimate's ratio there is 1 by construction and the figure that says something is
/// the previous estimator's).
/// </summary>
internal static class TokenBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(int iterations, TextWriter output)
    {
        // Loading each vocabulary happens once per process, the first time a deployment of its tokenizer is counted for.
        var load = Stopwatch.StartNew();
        var o200k = PromptCounters.Shared.Named(TokenizerNames.O200kBase);
        var o200kLoad = load.Elapsed;
        load.Restart();
        var cl100k = PromptCounters.Shared.Named(TokenizerNames.Cl100kBase);
        var cl100kLoad = load.Elapsed;

        var gpt4o = Estimates(("a", "gpt-4o", ProviderKind.Simulated));
        var gpt4 = Estimates(("a", "gpt-4", ProviderKind.Simulated));
        var mixed = Estimates(("a", "gpt-4o", ProviderKind.Simulated), ("b", "gpt-4", ProviderKind.Simulated), ("c", "claude-haiku", ProviderKind.Simulated));
        var simulated4o = Simulated("gpt-4o");
        var simulated4 = Simulated("gpt-4");

        output.WriteLine();
        output.WriteLine("### Estimate ÷ reference prompt tokens");
        output.WriteLine();
        output.WriteLine("Reference: the OpenAI API's reported prompt tokens where the cookbook publishes them (API); otherwise the cookbook's rule with the model's encoding (rule).");
        output.WriteLine();
        output.WriteLine("| request | model | reference | estimate | estimate ÷ ref | simulated provider reports | mixed group (gpt-4o, gpt-4, heuristic) ÷ ref | previous estimator ÷ ref |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var @case in TokenCase.All)
        {
            foreach (var (model, counter, estimates, simulated, api) in new[]
            {
                ("gpt-4o", o200k, gpt4o, simulated4o, @case.ApiO200k),
                ("gpt-4", cl100k, gpt4, simulated4, @case.ApiCl100k),
            })
            {
                var reference = api ?? counter.Count(@case.Body, Endpoints.ChatCompletions);
                var estimate = estimates.Estimate("g", @case.Body, Endpoints.ChatCompletions);
                var reported = (await simulated.CompleteAsync(new ProviderRequest(@case.Body, 16, estimate), CancellationToken.None)).Usage!.PromptTokens;
                var mixedEstimate = mixed.Estimate("g", @case.Body, Endpoints.ChatCompletions);
                var previous = PreviousEstimate(@case.Body);
                output.WriteLine(string.Create(Invariant,
                    $"| {@case.Name} | {model} | {reference} ({(api is null ? "rule" : "API")}) | {estimate} | {Ratio(estimate, reference)} | {reported} | {Ratio(mixedEstimate, reference)} | {Ratio(previous, reference)} ({previous}) |"));
            }
        }

        output.WriteLine();
        output.WriteLine("### Cost of counting, per job at intake");
        output.WriteLine();
        output.WriteLine(string.Create(Invariant, $"Vocabulary load, once per process: o200k_base {o200kLoad.TotalMilliseconds:F0} ms, cl100k_base {cl100kLoad.TotalMilliseconds:F0} ms. {iterations:N0} counts per round, median of 5 rounds, one thread."));
        output.WriteLine();
        output.WriteLine("| request | prompt chars | gpt-4o group | allocated | mixed group (3 tokenizers) | allocated | previous estimator | allocated |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var @case in TokenCase.All)
        {
            var chars = @case.Body.GetRawText().Length;
            var one = Measure(() => gpt4o.Estimate("g", @case.Body, Endpoints.ChatCompletions), iterations);
            var three = Measure(() => mixed.Estimate("g", @case.Body, Endpoints.ChatCompletions), iterations);
            var before = Measure(() => PreviousEstimate(@case.Body), iterations);
            output.WriteLine(string.Create(Invariant,
                $"| {@case.Name} | {chars:N0} | {Micros(one.Ns)} | {one.Bytes:N0} B | {Micros(three.Ns)} | {three.Bytes:N0} B | {Micros(before.Ns)} | {before.Bytes:N0} B |"));
        }

        return 0;
    }

    private static PromptEstimates Estimates(params (string Id, string Model, ProviderKind Provider)[] deployments) =>
        new(Options.Create(new CatalogOptions
        {
            Deployments = [.. deployments.Select(d => new DeploymentOptions { Id = d.Id, ModelGroup = "g", Model = d.Model, Provider = d.Provider })],
        }));

    private static SimulatedProvider Simulated(string model) => new(
        new DeploymentOptions { Id = "sim-" + model, ModelGroup = "g", Model = model, Simulation = new SimulationOptions { LatencyMs = 0, Seed = 1 } },
        TimeProvider.System);

    private static string Ratio(int estimate, int reference) => (estimate / (double)reference).ToString("F3", Invariant);

    private static string Micros(double ns) => ns >= 1000 ? (ns / 1000).ToString("F1", Invariant) + " µs" : ns.ToString("F0", Invariant) + " ns";

    private static (double Ns, long Bytes) Measure(Func<int> count, int iterations)
    {
        for (var i = 0; i < Math.Min(iterations, 500); i++)
        {
            count();
        }

        var rounds = new double[5];
        long bytes = 0;
        for (var r = 0; r < rounds.Length; r++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++)
            {
                count();
            }

            rounds[r] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / iterations;
            bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
        }

        Array.Sort(rounds);
        return (rounds[rounds.Length / 2], bytes);
    }

    // The estimator before real tokenizers: each message's text content at four characters a
    // token, 4 tokens a message and 3 a request; names, tools, schemas and images counted nothing.
    private static int PreviousEstimate(JsonElement body)
    {
        long tokens = 3;
        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                tokens += 4;
                if (message.TryGetProperty("content", out var content))
                {
                    if (content.ValueKind == JsonValueKind.String)
                    {
                        tokens += (content.GetString()!.Length + 3) / 4;
                    }
                    else if (content.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var part in content.EnumerateArray())
                        {
                            if (part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                            {
                                tokens += (text.GetString()!.Length + 3) / 4;
                            }
                        }
                    }
                }
            }
        }

        return (int)tokens;
    }
}
